//! Y4M files made by ffmpeg read by us, and ours read by ffmpeg, compared
//! with ffmpeg's `rawvideo` output of the same source.

mod common;

use std::fs;

use common::{arg, ffmpeg, probe, temp_dir, testsrc};
use tessera_container::y4m::{ChromaSiting, ColorRange, Y4mHeader, Y4mReader, Y4mWriter};
use tessera_core::{ChromaFormat, Frame, Limits, Rational};

struct Case {
    pix_fmt: &'static str,
    extra: &'static [&'static str],
    format: ChromaFormat,
    siting: ChromaSiting,
    rate: &'static str,
}

const CASES: &[Case] = &[
    Case {
        pix_fmt: "yuv420p",
        extra: &[],
        format: ChromaFormat::Yuv420,
        siting: ChromaSiting::Jpeg,
        rate: "30000/1001",
    },
    Case {
        pix_fmt: "yuv420p",
        extra: &["-chroma_sample_location", "left"],
        format: ChromaFormat::Yuv420,
        siting: ChromaSiting::Mpeg2,
        rate: "25",
    },
    Case {
        pix_fmt: "yuv420p",
        extra: &["-chroma_sample_location", "topleft"],
        format: ChromaFormat::Yuv420,
        siting: ChromaSiting::PalDv,
        rate: "12.5",
    },
    Case {
        pix_fmt: "yuvj420p",
        extra: &[],
        format: ChromaFormat::Yuv420,
        siting: ChromaSiting::Jpeg,
        rate: "30000/1001",
    },
    Case {
        pix_fmt: "yuv422p",
        extra: &[],
        format: ChromaFormat::Yuv422,
        siting: ChromaSiting::Jpeg,
        rate: "24000/1001",
    },
    Case {
        pix_fmt: "yuv444p",
        extra: &[],
        format: ChromaFormat::Yuv444,
        siting: ChromaSiting::Jpeg,
        rate: "60",
    },
    Case {
        pix_fmt: "gray",
        extra: &[],
        format: ChromaFormat::Mono,
        siting: ChromaSiting::Jpeg,
        rate: "25",
    },
    Case {
        pix_fmt: "yuv411p",
        extra: &[],
        format: ChromaFormat::Yuv411,
        siting: ChromaSiting::Jpeg,
        rate: "30000/1001",
    },
];

#[test]
fn ffmpeg_y4m_reads_as_its_rawvideo_and_ours_round_trips() {
    let dir = temp_dir();
    for (i, case) in CASES.iter().enumerate() {
        let src = testsrc("17x13", case.rate, 3);
        let y4m = arg(dir.path(), &format!("{i}.y4m"));
        let raw = arg(dir.path(), &format!("{i}.raw"));
        let mut args = vec!["-pix_fmt", case.pix_fmt];
        args.extend_from_slice(case.extra);
        args.extend_from_slice(&["-strict", "-1", y4m.as_str()]);
        ffmpeg(&src, &args);
        ffmpeg(&src, &["-pix_fmt", case.pix_fmt, "-f", "rawvideo", &raw]);
        let expected = fs::read(&raw).unwrap();

        // ffmpeg -> us
        let file = fs::File::open(&y4m).unwrap();
        let mut reader = Y4mReader::new(std::io::BufReader::new(file), Limits::default()).unwrap();
        let header = reader.header().clone();
        let what = format!("{} {:?}", case.pix_fmt, case.extra);
        assert_eq!((header.width, header.height), (17, 13), "{what}");
        assert_eq!(header.format, case.format, "{what}");
        assert_eq!(header.siting, case.siting, "{what}");
        assert_eq!(
            header.rate,
            case.rate.parse::<Rational>().unwrap(),
            "{what}"
        );
        if case.pix_fmt == "yuvj420p" || case.pix_fmt == "gray" {
            assert_eq!(header.color_range, Some(ColorRange::Full), "{what}");
        }
        let frames: Vec<Frame> = reader.frames().collect::<Result<_, _>>().unwrap();
        assert_eq!(frames.len(), 3, "{what}");
        let ours: Vec<u8> = frames.iter().flat_map(Frame::to_planar_bytes).collect();
        assert!(
            ours == expected,
            "{what}: samples differ from ffmpeg rawvideo"
        );

        // us -> ffmpeg
        let out = arg(dir.path(), &format!("{i}-ours.y4m"));
        let mut writer = Y4mWriter::new(fs::File::create(&out).unwrap(), &header).unwrap();
        for frame in &frames {
            writer.write_frame(frame).unwrap();
        }
        writer.into_inner().unwrap();
        let back = arg(dir.path(), &format!("{i}-back.raw"));
        ffmpeg(&[], &["-i", &out, "-c", "copy", "-f", "rawvideo", &back]);
        assert!(
            fs::read(&back).unwrap() == expected,
            "{what}: ffmpeg read of ours differs"
        );
        let info = probe(out.as_ref());
        assert_eq!(info["width"], "17", "{what}");
        assert_eq!(info["height"], "13", "{what}");
        assert_eq!(info["nb_read_frames"], "3", "{what}");
        let pix = info["pix_fmt"].replace("yuvj", "yuv");
        assert_eq!(pix, case.pix_fmt.replace("yuvj", "yuv"), "{what}");
        let probed: Rational = info["r_frame_rate"].parse().unwrap();
        assert_eq!(probed, header.rate, "{what}");
        // Our header always states the range.
        let first_line = fs::read(&out).unwrap();
        let first_line = String::from_utf8_lossy(&first_line[..80]).into_owned();
        assert!(first_line.contains("XCOLORRANGE="), "{first_line}");
    }
}

#[test]
fn yuv440_round_trips_through_our_writer() {
    // ffmpeg 5.1 cannot write 4:4:0 Y4M, so build it from its rawvideo.
    let dir = temp_dir();
    let raw = arg(dir.path(), "440.raw");
    ffmpeg(
        &testsrc("17x13", "25", 2),
        &["-pix_fmt", "yuv440p", "-f", "rawvideo", &raw],
    );
    let raw = fs::read(&raw).unwrap();
    let frames = tessera_testkit::split_rawvideo(&raw, 17, 13, ChromaFormat::Yuv440);
    let header = Y4mHeader::new(17, 13, Rational::integer(25), ChromaFormat::Yuv440);
    let mut writer = Y4mWriter::new(Vec::new(), &header).unwrap();
    for frame in &frames {
        writer.write_frame(frame).unwrap();
    }
    let bytes = writer.into_inner().unwrap();
    assert!(bytes.starts_with(b"YUV4MPEG2 W17 H13 F25:1 Ip A1:1 C440 XCOLORRANGE=FULL\n"));
    let mut reader = Y4mReader::new(&bytes[..], Limits::default()).unwrap();
    assert_eq!(reader.header().format, ChromaFormat::Yuv440);
    let back: Vec<u8> = reader
        .frames()
        .map(|f| f.unwrap().to_planar_bytes())
        .collect::<Vec<_>>()
        .concat();
    assert!(back == raw);
}

#[test]
fn ffmpeg_truncated_y4m_names_the_last_frame() {
    let dir = temp_dir();
    let y4m = arg(dir.path(), "t.y4m");
    ffmpeg(&testsrc("16x8", "25", 4), &["-pix_fmt", "yuv420p", &y4m]);
    let bytes = fs::read(&y4m).unwrap();
    let cut = &bytes[..bytes.len() - 10];
    let mut reader = Y4mReader::new(cut, Limits::default()).unwrap();
    for _ in 0..3 {
        reader.read_frame().unwrap().unwrap();
    }
    let err = reader.read_frame().unwrap_err();
    let text = err.to_string();
    assert!(text.contains("frame 3"), "{text}");
}
