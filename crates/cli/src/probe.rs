//! `tessera probe`: what a video file holds.

use std::path::Path;

use anyhow::{Context, Result};
use tessera_core::Limits;
use tessera_jpeg::quality::estimate_quality;

use crate::media::{Input, Picture, kind_name};

/// Everything `probe` reports.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeReport {
    pub container: &'static str,
    pub width: usize,
    pub height: usize,
    pub sampling: String,
    pub frames: u64,
    pub rate: Option<tessera_core::Rational>,
    /// JPEG process, and estimated IJG quality of the first frame's luma
    /// table (with `exact` when it is the scaled Annex K table).
    pub jpeg: Option<(String, u8, bool)>,
    pub restart_interval: Option<u16>,
}

impl std::fmt::Display for ProbeReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "format:      {}", self.container)?;
        writeln!(f, "size:        {}x{}", self.width, self.height)?;
        writeln!(f, "sampling:    {}", self.sampling)?;
        writeln!(f, "frames:      {}", self.frames)?;
        match self.rate {
            Some(r) => writeln!(f, "frame rate:  {r} ({:.3} fps)", r.as_f64())?,
            None => writeln!(f, "frame rate:  not recorded by the container")?,
        }
        if let Some((process, quality, exact)) = &self.jpeg {
            writeln!(f, "jpeg:        {process}")?;
            let how = if *exact {
                "exact IJG table"
            } else {
                "closest IJG table"
            };
            writeln!(f, "quality:     {quality} (estimated, {how})")?;
        }
        if let Some(ri) = self.restart_interval {
            writeln!(f, "restarts:    every {ri} MCUs")?;
        }
        Ok(())
    }
}

/// Reads the whole file (frames are counted, not taken from headers).
pub fn probe(path: &Path) -> Result<ProbeReport> {
    let limits = Limits::default();
    let mut input = Input::open(path, limits)?;
    let mut report = ProbeReport {
        container: kind_name(input.kind),
        width: 0,
        height: 0,
        sampling: String::new(),
        frames: 0,
        rate: input.rate,
        jpeg: None,
        restart_interval: None,
    };
    while let Some(picture) = input.next_picture()? {
        if report.frames == 0 {
            match &picture {
                Picture::Raw(frame) => {
                    report.width = frame.width;
                    report.height = frame.height;
                    report.sampling = frame.format.to_string();
                }
                Picture::Jpeg(bytes) => {
                    let info = tessera_jpeg::read_info(bytes, &limits)
                        .with_context(|| format!("{}: frame 0", path.display()))?;
                    report.width = info.width;
                    report.height = info.height;
                    report.sampling = match info.chroma_format {
                        Some(f) => f.to_string(),
                        None => "non-standard".into(),
                    };
                    let factors: Vec<String> = info
                        .components
                        .iter()
                        .map(|c| format!("{}x{}", c.h, c.v))
                        .collect();
                    report.sampling =
                        format!("{} (factors {})", report.sampling, factors.join(","));
                    let luma = info.quant_tables[usize::from(info.components[0].quant_index)];
                    if let Some(table) = luma {
                        let e = estimate_quality(&table, false);
                        report.jpeg = Some((info.process.name().to_string(), e.quality, e.exact));
                    }
                    if info.colour == tessera_jpeg::Colour::Rgb {
                        report.sampling += ", RGB-coded (Adobe transform 0)";
                    }
                    if info.restart_interval > 0 {
                        report.restart_interval = Some(info.restart_interval);
                    }
                }
            }
        }
        report.frames += 1;
    }
    if report.frames == 0 {
        anyhow::bail!("{}: no frames", path.display());
    }
    Ok(report)
}

pub fn run(path: &Path) -> Result<()> {
    print!("{}", probe(path)?);
    Ok(())
}
