//! Aligns inputs with different or variable frame rates on the output's
//! frame grid.
//!
//! The first input drives the output: each of its frames is one output
//! frame, at its presentation time. Every other input contributes the
//! latest frame presented at or before that time; a missing frame repeats
//! the last one (before an input's first frame, that first frame stands
//! in). A choice is final once the input has shown a frame after the
//! output time, or has ended; [`Aligner::pop_now`] lets live sessions go
//! on without waiting.

use std::collections::VecDeque;
use std::sync::Arc;

/// Frames queued per input, at most.
pub const MAX_QUEUED: usize = 32;

/// A JPEG frame shared between the aligner and the frames that repeat it.
pub type Jpeg = Arc<Vec<u8>>;

/// One output frame's inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct AlignedFrame {
    pub frame: u64,
    /// Seconds since the first input's first frame.
    pub time: f64,
    /// One JPEG per input, in input order.
    pub inputs: Vec<Jpeg>,
}

#[derive(Debug, Default)]
struct Lane {
    queue: VecDeque<(f64, Jpeg)>,
    current: Option<Jpeg>,
    ended: bool,
    /// Presentation time of the first frame, the lane's zero.
    start: Option<f64>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AlignError {
    #[error("input {0} has {MAX_QUEUED} frames queued; pop output frames first")]
    Full(usize),
    #[error("no input {0}")]
    NoSuchInput(usize),
    #[error("input {0} ended without a single frame")]
    Empty(usize),
}

#[derive(Debug)]
pub struct Aligner {
    lanes: Vec<Lane>,
    next: u64,
}

/// Times this close count as equal (rounding of rational frame times).
const EPSILON: f64 = 1e-6;

impl Aligner {
    pub fn new(inputs: usize) -> Aligner {
        Aligner {
            lanes: (0..inputs.max(1)).map(|_| Lane::default()).collect(),
            next: 0,
        }
    }

    /// A frame of input `input` presented at `pts` seconds (any origin:
    /// each input's first frame is its zero).
    pub fn push(&mut self, input: usize, pts: f64, jpeg: Jpeg) -> Result<(), AlignError> {
        let lane = self
            .lanes
            .get_mut(input)
            .ok_or(AlignError::NoSuchInput(input))?;
        if lane.queue.len() >= MAX_QUEUED {
            return Err(AlignError::Full(input));
        }
        let start = *lane.start.get_or_insert(pts);
        lane.queue.push_back((pts - start, jpeg));
        Ok(())
    }

    /// Input `input` has no more frames.
    pub fn end(&mut self, input: usize) {
        if let Some(lane) = self.lanes.get_mut(input) {
            lane.ended = true;
        }
    }

    /// Whether input `input` must deliver another frame (or end) before
    /// the next output frame can be decided.
    pub fn wants(&self, input: usize) -> bool {
        let Some(lane) = self.lanes.get(input) else {
            return false;
        };
        if lane.ended {
            return false;
        }
        if input == 0 {
            return lane.queue.is_empty();
        }
        match self.lanes[0].queue.front() {
            // Decided once a frame after the output time is queued.
            Some(&(time, _)) => lane.queue.back().is_none_or(|&(t, _)| t <= time + EPSILON),
            None => false,
        }
    }

    /// Whether every input has ended and nothing is left to pop.
    pub fn finished(&self) -> bool {
        self.lanes[0].ended && self.lanes[0].queue.is_empty()
    }

    /// The next output frame, when every input's choice is final.
    pub fn pop(&mut self) -> Result<Option<AlignedFrame>, AlignError> {
        if self.lanes[0].queue.is_empty() || (1..self.lanes.len()).any(|i| self.wants(i)) {
            return Ok(None);
        }
        self.pop_now()
    }

    /// The next output frame with whatever the other inputs have shown so
    /// far (live sessions, where waiting is not an option). `None` while
    /// the first input has nothing, or another input has never shown a
    /// frame and has not ended.
    pub fn pop_now(&mut self) -> Result<Option<AlignedFrame>, AlignError> {
        let Some(&(time, _)) = self.lanes[0].queue.front() else {
            return Ok(None);
        };
        for (i, lane) in self.lanes.iter().enumerate().skip(1) {
            if lane.current.is_none() && lane.queue.is_empty() {
                if lane.ended {
                    return Err(AlignError::Empty(i));
                }
                return Ok(None);
            }
        }
        let mut inputs = Vec::with_capacity(self.lanes.len());
        for (i, lane) in self.lanes.iter_mut().enumerate() {
            if i == 0 {
                let (_, jpeg) = lane.queue.pop_front().expect("checked above");
                inputs.push(jpeg);
                continue;
            }
            while let Some(&(t, _)) = lane.queue.front() {
                // The latest at or before the output time; before the
                // first frame, the first frame.
                if t <= time + EPSILON || lane.current.is_none() {
                    lane.current = lane.queue.pop_front().map(|(_, j)| j);
                } else {
                    break;
                }
            }
            inputs.push(lane.current.clone().expect("checked above"));
        }
        let frame = self.next;
        self.next += 1;
        Ok(Some(AlignedFrame {
            frame,
            time,
            inputs,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(tag: u8) -> Jpeg {
        Arc::new(vec![tag])
    }

    fn tags(frame: &AlignedFrame) -> Vec<u8> {
        frame.inputs.iter().map(|j| j[0]).collect()
    }

    /// Feeds like a file reader: whichever input is wanted reads next.
    fn run(a_times: &[f64], b_times: &[f64]) -> Vec<Vec<u8>> {
        let mut aligner = Aligner::new(2);
        let (mut ia, mut ib) = (0, 0);
        let mut out = Vec::new();
        loop {
            if let Some(f) = aligner.pop().unwrap() {
                out.push(tags(&f));
                continue;
            }
            if aligner.wants(0) {
                match a_times.get(ia) {
                    Some(&t) => aligner.push(0, t, jpeg(ia as u8)).unwrap(),
                    None => aligner.end(0),
                }
                ia += 1;
            } else if aligner.wants(1) {
                match b_times.get(ib) {
                    Some(&t) => aligner.push(1, t, jpeg(100 + ib as u8)).unwrap(),
                    None => aligner.end(1),
                }
                ib += 1;
            } else {
                break;
            }
        }
        assert!(aligner.finished());
        out
    }

    #[test]
    fn slower_input_repeats_frames() {
        // 50 fps output over a 25 fps second input.
        let a: Vec<f64> = (0..6).map(|i| i as f64 / 50.0).collect();
        let b: Vec<f64> = (0..3).map(|i| i as f64 / 25.0).collect();
        let out = run(&a, &b);
        let b_tags: Vec<u8> = out.iter().map(|t| t[1]).collect();
        assert_eq!(b_tags, [100, 100, 101, 101, 102, 102]);
    }

    #[test]
    fn faster_input_skips_frames_and_short_input_holds_its_last() {
        let a: Vec<f64> = (0..5).map(|i| i as f64 / 25.0).collect();
        // 50 fps for 3 frames, then nothing.
        let b: Vec<f64> = (0..3).map(|i| 10.0 + i as f64 / 50.0).collect();
        let out = run(&a, &b);
        let b_tags: Vec<u8> = out.iter().map(|t| t[1]).collect();
        assert_eq!(b_tags, [100, 102, 102, 102, 102]);
    }

    #[test]
    fn an_empty_input_is_an_error_and_queues_are_bounded() {
        let mut aligner = Aligner::new(2);
        aligner.push(0, 0.0, jpeg(0)).unwrap();
        aligner.end(1);
        assert_eq!(aligner.pop(), Err(AlignError::Empty(1)));
        let mut aligner = Aligner::new(1);
        for i in 0..MAX_QUEUED {
            aligner.push(0, i as f64, jpeg(0)).unwrap();
        }
        assert_eq!(aligner.push(0, 99.0, jpeg(0)), Err(AlignError::Full(0)));
    }
}
