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
