//! Hostile input: every prefix of small samples, random byte flips, and
//! headers that ask for absurd sizes. Nothing may panic, and nothing may
//! allocate by an unchecked size.

mod common;

use std::fs;
use std::io::{Cursor, Read};

use common::{Lcg, arg, ffmpeg, temp_dir, testsrc};
use tessera_container::avi::{AviReader, AviWriter};
use tessera_container::mjpeg::MjpegReader;
use tessera_container::y4m::Y4mReader;
use tessera_container::{ContainerKind, Error};
use tessera_core::{Limits, Rational};

fn limits() -> Limits {
    Limits {
        max_dimension: 4096,
        max_pixels: 1 << 22,
        max_bytes: 1 << 20,
    }
}

/// Reads everything a reader of the sniffed kind will give; returns the
/// number of units and the error, if any.
fn drain(kind: ContainerKind, data: &[u8]) -> (usize, Option<Error>) {
    let mut n = 0;
    match kind {
        ContainerKind::Y4m => match Y4mReader::new(data, limits()) {
            Ok(mut r) => loop {
                match r.read_frame() {
                    Ok(Some(_)) => n += 1,
                    Ok(None) => return (n, None),
                    Err(e) => return (n, Some(e)),
                }
            },
            Err(e) => (0, Some(e)),
        },
        ContainerKind::Mjpeg => {
            let mut r = MjpegReader::new(data, limits());
            loop {
                match r.next_image() {
                    Ok(Some(_)) => n += 1,
                    Ok(None) => return (n, None),
                    Err(e) => return (n, Some(e)),
                }
            }
        }
        ContainerKind::Avi => match AviReader::new(Cursor::new(data), limits()) {
            Ok(mut r) => loop {
                match r.next_image() {
                    Ok(Some(_)) => n += 1,
                    Ok(None) => return (n, None),
                    Err(e) => return (n, Some(e)),
                }
            },
            Err(e) => (0, Some(e)),
        },
    }
}

struct Sample {
    kind: ContainerKind,
    bytes: Vec<u8>,
    units: usize,
}

fn samples() -> Vec<Sample> {
    let dir = temp_dir();
    let y4m = arg(dir.path(), "s.y4m");
    ffmpeg(&testsrc("9x7", "25", 3), &["-pix_fmt", "yuv420p", &y4m]);
    let mjpeg = arg(dir.path(), "s.mjpeg");
    ffmpeg(
        &testsrc("16x16", "25", 3),
        &["-c:v", "mjpeg", "-f", "mjpeg", &mjpeg],
    );
    let avi = arg(dir.path(), "s.avi");
    let mut inputs: Vec<String> = ["-f", "lavfi", "-i", "sine=sample_rate=8000"]
        .map(String::from)
        .to_vec();
    inputs.extend(testsrc("16x16", "25", 3));
    ffmpeg(
        &inputs,
        &["-c:v", "mjpeg", "-c:a", "pcm_u8", "-shortest", &avi],
    );
    vec![
        Sample {
            kind: ContainerKind::Y4m,
            bytes: fs::read(&y4m).unwrap(),
            units: 3,
        },
        Sample {
            kind: ContainerKind::Mjpeg,
            bytes: fs::read(&mjpeg).unwrap(),
            units: 3,
        },
        Sample {
            kind: ContainerKind::Avi,
            bytes: fs::read(&avi).unwrap(),
            units: 3,
        },
    ]
}

#[test]
fn every_prefix_is_handled() {
    for sample in samples() {
        let kind = sample.kind;
        assert_eq!(ContainerKind::sniff(&sample.bytes), Some(kind));
        let (n, err) = drain(kind, &sample.bytes);
        assert!(err.is_none(), "{kind}: {err:?}");
        assert_eq!(n, sample.units, "{kind}");
        for cut in 0..sample.bytes.len() {
            let (n, err) = drain(kind, &sample.bytes[..cut]);
            assert!(n <= sample.units, "{kind} cut at {cut}");
            match err {
                None => {}
                Some(Error::Malformed { .. }) => {}
                Some(other) => panic!("{kind} cut at {cut}: unexpected error {other}"),
            }
        }
    }
}

#[test]
fn random_byte_flips_never_panic() {
    let mut rng = Lcg(0x7e55e7a);
    let samples = samples();
    for i in 0..2000 {
        let sample = &samples[i % samples.len()];
        let mut data = sample.bytes.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(data.len());
            data[at] = match rng.below(3) {
                0 => data[at] ^ (1 << rng.below(8)),
                1 => 0xFF,
                _ => rng.next() as u8,
            };
        }
        let _ = drain(sample.kind, &data);
    }
}

/// A reader that never ends.
#[derive(Debug)]
struct Endless(u8);

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        buf.fill(self.0);
        Ok(buf.len())
    }
}

#[test]
fn huge_sizes_are_limit_errors() {
    // Y4M: a picture over the limits, before any frame is read.
    let err = Y4mReader::new(&b"YUV4MPEG2 W70000 H70000 F25:1\n"[..], limits()).unwrap_err();
    assert!(matches!(err, Error::LimitExceeded(_)), "{err}");
    let err = Y4mReader::new(&b"YUV4MPEG2 W4000 H4000 C444\n"[..], limits()).unwrap_err();
    assert!(matches!(err, Error::LimitExceeded(_)), "{err}");
    // Y4M: an endless header line is refused, not buffered.
    let err = Y4mReader::new((&b"YUV4MPEG2 "[..]).chain(Endless(b'X')), limits()).unwrap_err();
    assert!(err.is_malformed(), "{err}");

    // MJPEG: an endless scan stops at the image limit.
    let head = [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02];
    let mut r = MjpegReader::new((&head[..]).chain(Endless(0x55)), limits());
    let err = r.next_image().unwrap_err();
    assert!(matches!(err, Error::LimitExceeded(_)), "{err}");

    // AVI: a video chunk claiming 4 GiB in a small file.
    let mut file = Cursor::new(Vec::new());
    let mut writer = AviWriter::new(&mut file, 16, 16, Rational::integer(25)).unwrap();
    writer.write_image(&[0xFF, 0xD8, 0xFF, 0xD9]).unwrap();
    writer.finish().unwrap();
    let mut bytes = file.into_inner();
    let chunk = bytes.windows(4).position(|w| w == b"00dc").unwrap();
    bytes[chunk + 4..chunk + 8].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    let mut r = AviReader::new(Cursor::new(&bytes), limits()).unwrap();
    let err = r.next_image().unwrap_err();
    assert!(matches!(err, Error::LimitExceeded(_)), "{err}");
    // ... and with unlimited limits it is a truncation, still not an
    // allocation of 4 GiB.
    let mut r = AviReader::new(Cursor::new(&bytes), Limits::unlimited()).unwrap();
    let err = r.next_image().unwrap_err();
    assert!(
        err.is_malformed() && err.to_string().contains("frame 0"),
        "{err}"
    );

    // AVI: a header list claiming 4 GiB.
    let hdrl = bytes.windows(4).position(|w| w == b"hdrl").unwrap();
    bytes[hdrl - 4..hdrl].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    let err = AviReader::new(Cursor::new(&bytes), limits()).unwrap_err();
    assert!(matches!(err, Error::LimitExceeded(_)), "{err}");
}
