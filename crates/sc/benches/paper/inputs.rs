//! The inputs, made by ffmpeg at the start of the run: synthetic sources
//! with motion, coded as MJPEG with the quality swept across the run.

use std::io::Read;
use std::path::Path;

use tessera_container::mjpeg::MjpegReader;
use tessera_core::{ChromaFormat, Frame, Limits};
use tessera_jpeg::{EncodeOptions, HuffmanMode};

/// The lavfi sources, `{W}`/`{H}` standing for the frame size: a test card
/// with moving parts, the same with camera-like temporal grain, a
/// Mandelbrot zoom (fine detail everywhere) and a colour Game of Life
/// (sharp edges, fading trails).
pub const SOURCES: [(&str, &str); 4] = [
    ("testsrc2", "testsrc2=size={W}x{H}:rate=25"),
    (
        "testsrc2+noise",
        "testsrc2=size={W}x{H}:rate=25,noise=alls=12:allf=t",
    ),
    ("mandelbrot", "mandelbrot=size={W}x{H}:rate=25:end_pts=100"),
    (
        "life",
        "life=size={W}x{H}:rate=25:mold=10:ratio=0.1:death_color=#C83232:life_color=#00ff00",
    ),
];

/// One set of inputs: every source at one size, `frames` frames each;
/// consecutive runs of `segment` frames take the next ffmpeg `-q:v` of
/// `qualities` in turn, so every quality samples the whole clip. With
/// `ijg_qualities`, the same frames are also coded by our encoder with the
/// IJG quality scaling (which, unlike ffmpeg's, scales the DC quantizer
/// too), swept the same way.
#[derive(Clone, Debug)]
pub struct Sweep {
    pub width: usize,
    pub height: usize,
    pub frames: usize,
    pub segment: usize,
    pub qualities: &'static [u8],
    pub ijg_qualities: &'static [u8],
}

impl Sweep {
    pub fn label(&self) -> String {
        format!("{}x{}", self.width, self.height)
    }
}

/// Who coded an input frame, and so what its quality number means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Coder {
    /// ffmpeg's MJPEG encoder, `-q:v` 2 (best) to 31: the MPEG-1 intra
    /// matrix scaled by q/8, DC quantizer fixed at 8.
    Ffmpeg,
    /// `tessera_jpeg::encode_frame`: the Annex K tables scaled by IJG
    /// quality 1-100 (100 best), as libjpeg's `cjpeg -quality`.
    Ijg,
}

impl Coder {
    pub fn name(self) -> &'static str {
        match self {
            Coder::Ffmpeg => "ffmpeg",
            Coder::Ijg => "ijg",
        }
    }

    pub fn quality_name(self) -> &'static str {
        match self {
            Coder::Ffmpeg => "ffmpeg -q:v",
            Coder::Ijg => "IJG quality",
        }
    }
}

/// One input frame: an MJPEG frame and where it came from.
#[derive(Clone, Debug)]
pub struct Coded {
    pub source: &'static str,
    pub coder: Coder,
    /// ffmpeg's `-q:v` or the IJG quality.
    pub q: u8,
    /// Frame number in the source clip.
    pub frame: usize,
    pub jpeg: Vec<u8>,
}

/// Makes every source of `sweep`: one ffmpeg run per source, split into one
/// output per quality, each selecting its segments.
pub fn make(dir: &Path, sweep: &Sweep) -> Vec<Coded> {
    let n = sweep.qualities.len();
    let mut all = Vec::new();
    for (source, graph) in SOURCES {
        let graph = graph
            .replace("{W}", &sweep.width.to_string())
            .replace("{H}", &sweep.height.to_string());
        let outputs: Vec<String> = (0..n).map(|k| format!("[o{k}]")).collect();
        let mut filter = format!(
            "[0:v]format=yuvj420p,split={}{}[raw]",
            n + 1,
            (0..n).map(|k| format!("[s{k}]")).collect::<String>()
        );
        for (k, output) in outputs.iter().enumerate() {
            filter.push_str(&format!(
                ";[s{k}]select='eq(mod(floor(n/{seg}),{n}),{k})'{output}",
                seg = sweep.segment
            ));
        }
        let mut args: Vec<String> = [
            "-f",
            "lavfi",
            "-i",
            &format!("{graph},trim=end_frame={}", sweep.frames),
            "-filter_complex",
            &filter,
        ]
        .map(String::from)
        .to_vec();
        let stem = format!("{}-{}", source.replace('+', "_"), sweep.label());
        for (k, &q) in sweep.qualities.iter().enumerate() {
            let path = dir.join(format!("{stem}-q{q}.mjpeg"));
            args.extend(
                [
                    "-map",
                    &outputs[k],
                    "-fps_mode",
                    "passthrough",
                    "-c:v",
                    "mjpeg",
                    // The Annex K tables, as RTP/JPEG and the paper's
                    // encoders use; ffmpeg would otherwise optimize them.
                    "-huffman",
                    "default",
                    "-q:v",
                    &q.to_string(),
                    "-f",
                    "mjpeg",
                    path.to_str().expect("utf-8 path"),
                ]
                .map(String::from),
            );
        }
        let raw = dir.join(format!("{stem}.yuv"));
        if sweep.ijg_qualities.is_empty() {
            args.extend(["-map", "[raw]", "-f", "null", "-"].map(String::from));
        } else {
            args.extend(
                [
                    "-map",
                    "[raw]",
                    "-f",
                    "rawvideo",
                    raw.to_str().expect("utf-8 path"),
                ]
                .map(String::from),
            );
        }
        tessera_testkit::run_ffmpeg(&args);
        for (k, &q) in sweep.qualities.iter().enumerate() {
            let path = dir.join(format!("{stem}-q{q}.mjpeg"));
            let file = std::fs::File::open(&path).expect("open ffmpeg's MJPEG stream");
            let mut reader = MjpegReader::new(std::io::BufReader::new(file), Limits::default());
            let mut j = 0;
            while let Some(jpeg) = reader.next_image().expect("read ffmpeg's MJPEG stream") {
                let segment = j / sweep.segment;
                let frame = (segment * n + k) * sweep.segment + j % sweep.segment;
                all.push(Coded {
                    source,
                    coder: Coder::Ffmpeg,
                    q,
                    frame,
                    jpeg,
                });
                j += 1;
            }
        }
        if !sweep.ijg_qualities.is_empty() {
            all.extend(code_ijg(&raw, source, sweep));
        }
    }
    all.sort_by_key(|c| (c.coder, c.source, c.frame));
    let coders = if sweep.ijg_qualities.is_empty() { 1 } else { 2 };
    assert_eq!(
        all.len(),
        coders * SOURCES.len() * sweep.frames,
        "every frame was made"
    );
    all
}

/// The raw frames ffmpeg wrote, coded with the IJG qualities.
fn code_ijg(raw: &Path, source: &'static str, sweep: &Sweep) -> Vec<Coded> {
    let format = ChromaFormat::Yuv420;
    let mut bytes = vec![0; format.frame_bytes(sweep.width, sweep.height)];
    let mut file = std::io::BufReader::new(std::fs::File::open(raw).expect("open raw frames"));
    let options = EncodeOptions {
        huffman: HuffmanMode::Standard,
        ..EncodeOptions::default()
    };
    let qualities = sweep.ijg_qualities;
    (0..sweep.frames)
        .map(|frame| {
            file.read_exact(&mut bytes).expect("read a raw frame");
            let pixels =
                Frame::from_planar_bytes(sweep.width, sweep.height, format, &bytes).expect("frame");
            let q = qualities[(frame / sweep.segment) % qualities.len()];
            let jpeg = tessera_jpeg::encode_frame(&pixels, q, &options).expect("encode");
            Coded {
                source,
                coder: Coder::Ijg,
                q,
                frame,
                jpeg,
            }
        })
        .collect()
}
