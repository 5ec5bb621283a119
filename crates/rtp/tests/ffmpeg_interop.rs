//! RTP/JPEG against ffmpeg over UDP loopback, both ways:
//!
//! - ffmpeg's `-f rtp` packets, received here, go through the jitter
//!   buffer and the depayloader; the JPEGs rebuilt carry exactly the DCT
//!   coefficients of ffmpeg's own MJPEG encode of the same source (4:2:0;
//!   ffmpeg refuses to send 4:2:2, so its 4:2:2 files go through our
//!   payloader instead).
//! - Our packets, sent to ffmpeg reading our SDP, decode to every frame,
//!   without warnings, pixel for pixel as ffmpeg decodes our JPEG files.

use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tessera_core::pattern::moving_pattern;
use tessera_core::{ChromaFormat, Limits};
use tessera_jpeg::{EncodeOptions, HuffmanMode, decode_coefficients, encode_frame};
use tessera_rtp::jitter::{JitterBuffer, JitterConfig};
use tessera_rtp::jpeg::{JpegDepayloader, JpegPayloader, JpegPayloaderConfig};
use tessera_rtp::sdp::{SdpStream, write_sdp};
use tessera_testkit as kit;

const FRAMES: usize = 8;

fn mjpeg_args(size: &str, pix_fmt: &str) -> Vec<String> {
    [
        "-f",
        "lavfi",
        "-i",
        &format!("testsrc2=size={size}:rate=25"),
        "-frames:v",
        &FRAMES.to_string(),
        "-pix_fmt",
        pix_fmt,
        "-c:v",
        "mjpeg",
        "-huffman",
        "default",
        "-force_duplicated_matrix",
        "1",
        "-q:v",
        "5",
        "-threads",
        "1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Every datagram ffmpeg sends to a socket of ours, until it has exited
/// and the socket is quiet.
fn receive_from_ffmpeg(size: &str, pix_fmt: &str) -> Vec<(Duration, Vec<u8>)> {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let port = socket.local_addr().unwrap().port();
    let mut args = mjpeg_args(size, pix_fmt);
    args.extend(["-f".into(), "rtp".into(), format!("rtp://127.0.0.1:{port}")]);
    let child = Command::new(kit::ffmpeg())
        .args(["-loglevel", "error", "-nostdin"])
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    kit::receive_from_ffmpeg(&socket, child, Duration::from_secs(30))
}

fn depayload_ffmpeg_rtp(size: &str, pix_fmt: &str, format: ChromaFormat) {
    let packets = receive_from_ffmpeg(size, pix_fmt);
    assert!(!packets.is_empty(), "no packets from ffmpeg");
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let mut frames = Vec::new();
    for (at, p) in packets {
        jb.push(p, at);
        while let Some(f) = jb.pop(at) {
            frames.push(f);
        }
    }
    frames.extend(jb.flush());
    assert_eq!(frames.len(), FRAMES, "{:?}", jb.stats());
    assert_eq!(jb.stats().lost, 0);
    let mut depay = JpegDepayloader::new();
    let ours: Vec<Vec<u8>> = frames
        .iter()
        .map(|f| depay.depayload(&f.packets).unwrap())
        .collect();

    // ffmpeg's own encode of the same source, one file per frame.
    let dir = kit::temp_dir();
    let pattern = dir.path().join("ref_%03d.jpg");
    let mut args = mjpeg_args(size, pix_fmt);
    args.extend(["-f".into(), "image2".into(), pattern.display().to_string()]);
    kit::run_ffmpeg(&args);
    for (i, jpeg) in ours.iter().enumerate() {
        let reference = std::fs::read(dir.path().join(format!("ref_{:03}.jpg", i + 1))).unwrap();
        let a = decode_coefficients(&reference, &Limits::default()).unwrap();
        let b = decode_coefficients(jpeg, &Limits::default()).unwrap();
        assert_eq!((a.width, a.height), (b.width, b.height));
        for (ca, cb) in a.components.iter().zip(&b.components) {
            assert_eq!(
                a.quant_table(ca.quant_index.into()).unwrap(),
                b.quant_table(cb.quant_index.into()).unwrap()
            );
            assert_eq!(
                (ca.visible_blocks_wide(), ca.visible_blocks_high()),
                (cb.visible_blocks_wide(), cb.visible_blocks_high())
            );
            for by in 0..ca.visible_blocks_high() {
                for bx in 0..ca.visible_blocks_wide() {
                    assert_eq!(
                        ca.block(bx, by),
                        cb.block(bx, by),
                        "frame {i} block {bx},{by}"
                    );
                }
            }
        }
    }
    // And ffmpeg decodes what we rebuilt as it decodes its own files.
    let (w, h) = size.split_once('x').unwrap();
    let (w, h): (usize, usize) = (w.parse().unwrap(), h.parse().unwrap());
    let ours_path = kit::write_file(dir.path(), "ours.mjpeg", &ours.concat());
    let ours_px = kit::ffmpeg_frames(&ours_path, w, h, format);
    let refs_px = kit::ffmpeg_frames(&pattern, w, h, format);
    assert_eq!(ours_px.len(), FRAMES);
    for (a, b) in ours_px.iter().zip(&refs_px) {
        for (psnr, max) in kit::compare_frames(a, b) {
            assert!(psnr >= 48.0 && max <= 3, "PSNR {psnr}, max diff {max}");
        }
    }
}

#[test]
fn depayloads_ffmpeg_420() {
    depayload_ffmpeg_rtp("320x240", "yuvj420p", ChromaFormat::Yuv420);
    // A size that is not a multiple of 16.
    depayload_ffmpeg_rtp("200x120", "yuvj420p", ChromaFormat::Yuv420);
}

/// ffmpeg cannot send 4:2:2 over RTP itself ("Only 1x1 chroma blocks are
/// supported": it writes 4:2:2 as Y 2x2 / C 1x2), so its 4:2:2 files go
/// through our payloader, which puts them on the 2x1 / 1x1 grid without
/// touching a coefficient.
#[test]
fn payloads_ffmpeg_422_files() {
    let dir = kit::temp_dir();
    let pattern = dir.path().join("ref_%03d.jpg");
    let mut args = mjpeg_args("176x120", "yuvj422p");
    args.extend(["-f".into(), "image2".into(), pattern.display().to_string()]);
    kit::run_ffmpeg(&args);
    let mut pay = JpegPayloader::new(JpegPayloaderConfig {
        max_packet: 400,
        ..JpegPayloaderConfig::new(5)
    })
    .unwrap();
    let mut depay = JpegDepayloader::new();
    let mut ours = Vec::new();
    for i in 0..FRAMES {
        let reference = std::fs::read(dir.path().join(format!("ref_{:03}.jpg", i + 1))).unwrap();
        let packets = pay.packetize(&reference, i as u32 * 3600).unwrap();
        let jpeg = depay.depayload(&packets).unwrap();
        let a = decode_coefficients(&reference, &Limits::default()).unwrap();
        let b = decode_coefficients(&jpeg, &Limits::default()).unwrap();
        assert_eq!((b.components[0].h, b.components[0].v), (2, 1));
        for (ca, cb) in a.components.iter().zip(&b.components) {
            for by in 0..ca.visible_blocks_high() {
                for bx in 0..ca.visible_blocks_wide() {
                    assert_eq!(
                        ca.block(bx, by),
                        cb.block(bx, by),
                        "frame {i} block {bx},{by}"
                    );
                }
            }
        }
        ours.push(jpeg);
    }
    assert_eq!(pay.stats().recoded_frames, FRAMES as u64);
    let ours_path = kit::write_file(dir.path(), "ours.mjpeg", &ours.concat());
    let ours_px = kit::ffmpeg_frames(&ours_path, 176, 120, ChromaFormat::Yuv422);
    let refs_px = kit::ffmpeg_frames(&pattern, 176, 120, ChromaFormat::Yuv422);
    assert_eq!(ours_px.len(), FRAMES);
    for (a, b) in ours_px.iter().zip(&refs_px) {
        for (psnr, max) in kit::compare_frames(a, b) {
            assert!(psnr >= 48.0 && max <= 3, "PSNR {psnr}, max diff {max}");
        }
    }
}

/// Sends our packets for `jpegs` to ffmpeg reading an SDP of ours and
/// returns its raw decode.
fn send_to_ffmpeg(jpegs: &[Vec<u8>], pix_fmt: &str, dir: &std::path::Path) -> (Vec<u8>, String) {
    let port = kit::free_udp_port();
    let sdp = write_sdp(
        "tessera test",
        &SdpStream::jpeg("127.0.0.1".parse().unwrap(), port),
    );
    let sdp_path = kit::write_file(dir, "our.sdp", sdp.as_bytes());
    let raw_path = dir.join("out.raw");
    let frames = jpegs.len().to_string();
    let mut child = kit::ffmpeg_receiving(
        &sdp_path,
        port,
        [
            "-frames:v".as_ref(),
            frames.as_ref(),
            "-f".as_ref(),
            "rawvideo".as_ref(),
            "-pix_fmt".as_ref(),
            std::ffi::OsStr::new(pix_fmt),
            raw_path.as_os_str(),
        ],
    );
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut pay = JpegPayloader::new(JpegPayloaderConfig::new(0x7e55_e7a0)).unwrap();
    // The frames, then the last one again until ffmpeg has output them
    // all (its RTP reader holds a frame back until the next arrives).
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut i = 0usize;
    while Instant::now() < deadline {
        let jpeg = &jpegs[i.min(jpegs.len() - 1)];
        for p in pay.packetize(jpeg, i as u32 * 3600).unwrap() {
            socket.send_to(&p, ("127.0.0.1", port)).unwrap();
            std::thread::sleep(Duration::from_micros(200));
        }
        std::thread::sleep(Duration::from_millis(20));
        i += 1;
        if i >= jpegs.len() && child.try_wait().unwrap().is_some() {
            break;
        }
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (std::fs::read(&raw_path).unwrap_or_default(), stderr)
}

#[test]
fn ffmpeg_decodes_our_packets() {
    for (format, pix_fmt, restart, huffman) in [
        (ChromaFormat::Yuv420, "yuvj420p", 0, HuffmanMode::Standard),
        (ChromaFormat::Yuv422, "yuvj422p", 0, HuffmanMode::Optimized),
        (ChromaFormat::Yuv420, "yuvj420p", 4, HuffmanMode::Standard),
    ] {
        let (w, h) = (320, 240);
        let jpegs: Vec<Vec<u8>> = (0..FRAMES as u32)
            .map(|i| {
                let opts = EncodeOptions {
                    huffman,
                    restart_interval: Some(restart),
                    ..EncodeOptions::default()
                };
                encode_frame(&moving_pattern(w, h, format, i), 80, &opts).unwrap()
            })
            .collect();
        let dir = kit::temp_dir();
        let (raw, stderr) = send_to_ffmpeg(&jpegs, pix_fmt, dir.path());
        assert!(stderr.trim().is_empty(), "ffmpeg warned: {stderr}");
        let got = kit::split_rawvideo(&raw, w, h, format);
        assert_eq!(got.len(), FRAMES, "{pix_fmt} restart {restart}: {stderr}");
        // ffmpeg's decode of our files as they were.
        let files = kit::write_file(dir.path(), "ours.mjpeg", &jpegs.concat());
        let expected = kit::ffmpeg_frames(&files, w, h, format);
        for (i, (a, b)) in got.iter().zip(&expected).enumerate() {
            for (psnr, max) in kit::compare_frames(a, b) {
                assert!(
                    max == 0,
                    "{pix_fmt} restart {restart} frame {i}: PSNR {psnr}, max diff {max}"
                );
            }
        }
    }
}
