//! RFC 6416 MP4V-ES against ffmpeg over UDP loopback, both ways, on an
//! elementary stream of ffmpeg's mpeg4 encoder (50 frames of 352x288, an
//! I-VOP every 12, with VOS/VO/VOL repeated before each):
//!
//! - Our packets (500-byte payloads, so I-VOPs span about 27 packets),
//!   sent to ffmpeg reading our SDP, decode to every frame with the same
//!   MD5 as ffmpeg's decode of the file itself.
//! - ffmpeg's `-f rtp` packets, received here through the jitter buffer
//!   and our depayloader, rebuild the file's access units byte for byte,
//!   and its SDP's `config` is the file's configuration headers.

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tessera_core::Rational;
use tessera_mpeg4::es;
use tessera_rtp::jitter::{FrameStart, JitterBuffer, JitterConfig};
use tessera_rtp::mp4v::{
    Mp4vDepayloader, Mp4vFormat, Mp4vPayloader, Mp4vPayloaderConfig, config_headers,
    parse_mp4v_sdp, starts_frame, write_mp4v_sdp,
};
use tessera_rtp::sdp::SdpStream;
use tessera_testkit as kit;

const FRAMES: usize = 50;
/// 90 kHz ticks per frame at 25 fps.
const TICKS: u32 = 3600;

/// ffmpeg's MPEG-4 Part 2 elementary stream of the test source.
fn make_m4v(dir: &Path) -> (PathBuf, Vec<u8>) {
    let path = dir.join("x.m4v");
    kit::ffmpeg_lavfi(
        "testsrc2=size=352x288:rate=25",
        FRAMES as u32,
        &["-c:v", "mpeg4", "-g", "12", "-f", "m4v"],
        &path,
    );
    let data = std::fs::read(&path).unwrap();
    (path, data)
}

/// The MD5 column of ffmpeg's `framemd5` output.
fn md5s(framemd5: &str) -> Vec<String> {
    framemd5
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.rsplit(',').next().unwrap_or_default().trim().to_string())
        .collect()
}

#[test]
fn ffmpeg_decodes_our_mp4v_packets() {
    let dir = kit::temp_dir();
    let (m4v, data) = make_m4v(dir.path());
    let direct = kit::run_ffmpeg([
        "-i".as_ref(),
        m4v.as_os_str(),
        "-f".as_ref(),
        "framemd5".as_ref(),
        "-".as_ref(),
    ]);
    let expected = md5s(&String::from_utf8_lossy(&direct.stdout));
    assert_eq!(expected.len(), FRAMES);
    let split = es::split(&data);
    assert_eq!(split.access_units.len(), FRAMES);
    assert!(!split.config.is_empty());

    let port = kit::free_udp_port();
    let sdp = write_mp4v_sdp(
        "tessera test",
        &SdpStream::mp4v("127.0.0.1".parse().unwrap(), port),
        &Mp4vFormat::from_config(&split.config),
        Some(Rational::integer(25)),
    );
    let sdp_path = kit::write_file(dir.path(), "our.sdp", sdp.as_bytes());
    let md5_path = dir.path().join("out.framemd5");
    let frames = FRAMES.to_string();
    let mut child = kit::ffmpeg_receiving(
        &sdp_path,
        port,
        [
            "-frames:v".as_ref(),
            frames.as_ref(),
            "-f".as_ref(),
            "framemd5".as_ref(),
            md5_path.as_os_str(),
        ],
    );

    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut pay = Mp4vPayloader::new(Mp4vPayloaderConfig {
        max_packet: 512,
        config: split.config.clone(),
        // The first access unit has no configuration of its own (es::split
        // puts it apart); the later I-VOPs bring theirs.
        repeat_config: true,
        ..Mp4vPayloaderConfig::new(0x4d50_3456)
    })
    .unwrap();
    // The stream, then again from its start until ffmpeg has output every
    // frame (its parser holds a frame back until the next one begins).
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut i = 0usize;
    while Instant::now() < deadline {
        let au = &split.access_units[i % FRAMES];
        for p in pay.packetize(&au.data, i as u32 * TICKS).unwrap() {
            socket.send_to(&p, ("127.0.0.1", port)).unwrap();
            std::thread::sleep(Duration::from_micros(200));
        }
        std::thread::sleep(Duration::from_millis(10));
        i += 1;
        if i >= FRAMES && child.try_wait().unwrap().is_some() {
            break;
        }
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let got = md5s(&std::fs::read_to_string(&md5_path).unwrap_or_default());
    assert_eq!(got.len(), FRAMES, "ffmpeg: {stderr}");
    for (n, (a, b)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(a, b, "frame {n} differs; ffmpeg: {stderr}");
    }
    assert!(stderr.trim().is_empty(), "ffmpeg warned: {stderr}");
    let stats = pay.stats();
    assert!(stats.fragmented >= FRAMES as u64 / 2, "{stats:?}");
    assert!(stats.config_repeats >= 1, "{stats:?}");
}

#[test]
fn depayloads_ffmpeg_mp4v() {
    let dir = kit::temp_dir();
    let (m4v, data) = make_m4v(dir.path());
    let split = es::split(&data);
    assert_eq!(split.access_units.len(), FRAMES);

    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let port = socket.local_addr().unwrap().port();
    let sdp_path = dir.path().join("ffmpeg.sdp");
    let child = Command::new(kit::ffmpeg())
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            "-re",
            "-i",
        ])
        .arg(&m4v)
        .args(["-c", "copy", "-f", "rtp", "-sdp_file"])
        .arg(&sdp_path)
        // 600-byte packets: ffmpeg fragments the larger VOPs.
        .arg(format!("rtp://127.0.0.1:{port}?pkt_size=600"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let packets = tessera_testkit::receive_from_ffmpeg(&socket, child, Duration::from_secs(30));

    // ffmpeg's SDP: MP4V-ES at 90 kHz, the file's configuration (es::split
    // ends it before the first GOV, as config_headers does).
    let sdp = parse_mp4v_sdp(&std::fs::read_to_string(&sdp_path).unwrap()).unwrap();
    assert_eq!(sdp.stream.port, port);
    assert_eq!(sdp.format.config, config_headers(&split.config));
    assert_eq!(sdp.format.config, split.config);
    assert_eq!(sdp.format.profile_level_id, 1);

    let mut jb = JitterBuffer::new(JitterConfig {
        payload_type: Some(sdp.stream.payload_type),
        frame_start: FrameStart::Custom(starts_frame),
        ..JitterConfig::default()
    });
    let mut depay = Mp4vDepayloader::default();
    let mut aus = Vec::new();
    let mut take = |frame: tessera_rtp::jitter::ReleasedFrame, aus: &mut Vec<_>| {
        frame.packets.iter().for_each(|p| depay.push(p));
        aus.extend(std::iter::from_fn(|| depay.pop()));
    };
    let packet_count = packets.len();
    for (at, p) in packets {
        jb.push(p, at);
        while let Some(frame) = jb.pop(at) {
            take(frame, &mut aus);
        }
    }
    for frame in jb.flush() {
        take(frame, &mut aus);
    }
    assert!(
        packet_count > FRAMES,
        "{packet_count} packets: no fragments"
    );
    assert_eq!(jb.stats().lost, 0, "{:?}", jb.stats());
    assert_eq!(aus.len(), FRAMES, "{:?} {:?}", jb.stats(), depay.stats());
    // ffmpeg sends the file as its parser frames it: the headers before
    // the first VOP go with it, in band as well as in the SDP.
    assert_eq!(
        aus[0].data,
        [&split.config[..], &split.access_units[0].data].concat()
    );
    for (n, (ours, file)) in aus.iter().zip(&split.access_units).enumerate().skip(1) {
        assert!(ours.data == file.data, "access unit {n} differs");
    }
    for pair in aus.windows(2) {
        assert_eq!(pair[1].timestamp.wrapping_sub(pair[0].timestamp), TICKS);
    }
    assert!(aus.iter().all(|a| a.loss == 0));
}
