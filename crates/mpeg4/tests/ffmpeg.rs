//! Streams we write decode in ffmpeg (an independent decoder) with no
//! warnings and match our reconstruction; our decoder matches it exactly.

mod common;

use common::*;
use tessera_mpeg4::encoder::{Packets, RateControl};

#[test]
fn i_and_p_vops_decode_in_ffmpeg() {
    let dir = tessera_testkit::temp_dir();
    let frames = clip(176, 144, 30);
    let mut cfg = config(176, 144);
    cfg.rate = RateControl::Qp(4);
    cfg.gop = 12;
    let (stream, recon) = encode(cfg, &frames);
    check_own_decoder(&stream, &recon);
    let path = tessera_testkit::write_file(dir.path(), "a.m4v", &stream);
    let ff = ffmpeg_decode(&path, 176, 144);
    let psnr = min_psnr(&ff, &recon);
    assert!(psnr >= 45.0, "ffmpeg vs our reconstruction: {psnr:.2} dB");
    let quality = min_psnr(&recon, &frames);
    assert!(quality >= 30.0, "reconstruction vs source: {quality:.2} dB");
}

#[test]
fn packets_and_partitions_decode_in_ffmpeg() {
    let dir = tessera_testkit::temp_dir();
    let frames = clip(352, 288, 12);
    for (name, packets, partitioned) in [
        ("bits", Packets::Bits(2000), false),
        ("mbs", Packets::Macroblocks(37), false),
        ("dp", Packets::Bits(3000), true),
    ] {
        let mut cfg = config(352, 288);
        cfg.rate = RateControl::Qp(6);
        cfg.packets = packets;
        cfg.data_partitioned = partitioned;
        let (stream, recon) = encode(cfg, &frames);
        check_own_decoder(&stream, &recon);
        let path = tessera_testkit::write_file(dir.path(), &format!("{name}.m4v"), &stream);
        let ff = ffmpeg_decode(&path, 352, 288);
        let psnr = min_psnr(&ff, &recon);
        assert!(
            psnr >= 45.0,
            "{name}: ffmpeg vs our reconstruction: {psnr:.2} dB"
        );
    }
}

/// Encodes, checks our decoder reproduces the reconstruction, has ffmpeg
/// decode the stream without warnings and returns the lowest plane PSNR of
/// ffmpeg's decode against our reconstruction.
fn round_trip(
    name: &str,
    cfg: tessera_mpeg4::encoder::EncoderConfig,
    frames: &[tessera_core::Frame],
) -> f64 {
    let (w, h) = (cfg.width, cfg.height);
    let dir = tessera_testkit::temp_dir();
    let (stream, recon) = encode(cfg, frames);
    check_own_decoder(&stream, &recon);
    let path = tessera_testkit::write_file(dir.path(), &format!("{name}.m4v"), &stream);
    let ff = ffmpeg_decode(&path, w, h);
    min_psnr(&ff, &recon)
}

#[test]
fn long_p_run_drift_stays_bounded() {
    // One I-VOP then 300 P-VOPs: ffmpeg's IDCT differs from ours, so its
    // decode drifts from our reconstruction; the drift must stay small.
    let frames = clip(176, 144, 301);
    let mut cfg = config(176, 144);
    cfg.rate = RateControl::Qp(3);
    cfg.gop = 0;
    let psnr = round_trip("long", cfg, &frames);
    assert!(psnr >= 45.0, "after 300 P-VOPs: {psnr:.2} dB");
}

#[test]
fn i_only_four_vectors_and_mpeg_quantisation() {
    let frames = clip(352, 288, 8);
    let mut i_only = config(352, 288);
    i_only.gop = 1;
    i_only.rate = RateControl::Qp(2);
    assert!(round_trip("intra", i_only, &frames) >= 45.0);

    let mut mpeg = config(352, 288);
    mpeg.quant = tessera_mpeg4::header::QuantType::Mpeg {
        intra: tessera_mpeg4::tables::DEFAULT_INTRA_QMAT,
        inter: tessera_mpeg4::tables::DEFAULT_NON_INTRA_QMAT,
    };
    mpeg.rate = RateControl::Qp(7);
    let psnr = round_trip("mpeg", mpeg, &frames);
    assert!(psnr >= 45.0, "MPEG quantisation: {psnr:.2} dB");
}

#[test]
fn four_vector_macroblocks_are_used_and_decode() {
    // Objects moving in different directions inside macroblocks make four
    // vectors pay off.
    let frames = clip(352, 288, 6);
    let mut cfg = config(352, 288);
    cfg.rate = RateControl::Qp(10);
    let mut enc = tessera_mpeg4::encoder::Encoder::new(cfg.clone()).unwrap();
    let four: u32 = frames
        .iter()
        .map(|f| enc.encode(f).unwrap().stats.inter4v_mbs)
        .sum();
    assert!(four > 0, "no four-vector macroblock chosen");
    assert!(round_trip("4mv", cfg, &frames) >= 45.0);
}

#[test]
fn sizes_including_partial_macroblocks() {
    for (w, h) in [
        (176, 144),
        (720, 576),
        (1280, 720),
        (200, 120),
        (1920, 1080),
    ] {
        let frames = clip(w, h, 3);
        let mut cfg = config(w, h);
        cfg.rate = RateControl::Qp(5);
        let psnr = round_trip(&format!("{w}x{h}"), cfg, &frames);
        assert!(psnr >= 45.0, "{w}x{h}: {psnr:.2} dB");
    }
}

#[test]
fn threads_change_nothing_with_macroblock_packets() {
    let frames = clip(352, 288, 6);
    let mut one = config(352, 288);
    one.packets = Packets::Macroblocks(44);
    let mut four = one.clone();
    four.threads = 4;
    let (a, _) = encode(one, &frames);
    let (b, recon) = encode(four, &frames);
    assert_eq!(a, b, "the thread count changed the stream");
    check_own_decoder(&b, &recon);
}

#[test]
fn our_decoder_reads_ffmpeg_streams() {
    // ffmpeg's own encoder (no resync markers; and with them) decoded by us
    // and by ffmpeg: same pictures up to IDCT differences.
    let dir = tessera_testkit::temp_dir();
    let src = testsrc2(dir.path(), 352, 288, 30);
    for (name, extra) in [
        ("plain", &[][..]),
        ("packets", &["-ps", "800"][..]),
        ("dp", &["-ps", "800", "-data_partitioning", "1"][..]),
        ("mpegquant", &["-mpeg_quant", "1"][..]),
        ("4mv", &["-flags", "+mv4"][..]),
    ] {
        let m4v = dir.path().join(format!("{name}.m4v"));
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "-i".as_ref(),
            src.as_os_str(),
            "-c:v".as_ref(),
            "mpeg4".as_ref(),
            "-q:v".as_ref(),
            "4".as_ref(),
            "-g".as_ref(),
            "12".as_ref(),
        ];
        args.extend(extra.iter().map(std::ffi::OsStr::new));
        args.extend(["-f".as_ref(), "m4v".as_ref(), m4v.as_os_str()]);
        tessera_testkit::run_ffmpeg(args);
        let bytes = std::fs::read(&m4v).unwrap();
        let ours: Vec<_> = tessera_mpeg4::decoder::Decoder::default()
            .decode_stream(&bytes)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .into_iter()
            .map(|v| v.frame)
            .collect();
        let theirs = ffmpeg_decode(&m4v, 352, 288);
        let psnr = min_psnr(&ours, &theirs);
        assert!(psnr >= 45.0, "{name}: our decode vs ffmpeg's: {psnr:.2} dB");
    }
}

#[test]
fn intra_refresh_codes_macroblocks_intra_in_p_vops() {
    let frames = clip(176, 144, 12);
    let mut cfg = config(176, 144);
    cfg.intra_refresh = 4;
    let mut enc = tessera_mpeg4::encoder::Encoder::new(cfg.clone()).unwrap();
    let intra_in_p: u32 = frames
        .iter()
        .map(|f| enc.encode(f).unwrap())
        .filter(|v| v.kind == tessera_mpeg4::header::VopType::P)
        .map(|v| v.stats.intra_mbs)
        .sum();
    // Every macroblock coded inter 4 times is refreshed: in 11 P-VOPs of
    // 99 macroblocks that is at least one refresh each unless skipped.
    assert!(
        intra_in_p >= 99,
        "only {intra_in_p} intra macroblocks in P-VOPs"
    );
    assert!(round_trip("refresh", cfg, &frames) >= 45.0);
}
