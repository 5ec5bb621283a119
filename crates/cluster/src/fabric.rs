//! The zenoh fabric: opening a session and the key expressions of an
//! effects session.
//!
//! Every part of an effects session talks only through these keys, so the
//! same roles run as threads sharing one in-process session (the embedded
//! default) or as processes on many machines:
//!
//! | key | payload | from -> to |
//! | --- | --- | --- |
//! | `tessera/S/program/P` | subprogram JSON (query reply) | server -> processor P |
//! | `tessera/S/program/reconstructor` | reconstructor settings JSON | server -> reconstructor |
//! | `tessera/S/alive/P`, `.../alive/reconstructor` | liveliness tokens | roles -> server |
//! | `tessera/S/feed/G/in/I` | RTP/JPEG packets of input I for the frames of group G, re-timed on the output grid | server -> processors of group G |
//! | `tessera/S/feed/G/ctl` | a [`tessera_runtime::Control`] as JSON, in order with the packets | server -> processors of group G |
//! | `tessera/S/control` | a parameter change request JSON | control handles -> server |
//! | `tessera/S/sc/G/P` | RTP/SC packets of processor P in group G | processors -> reconstructor |
//! | `tessera/S/sc/G/P/jpeg` | RTP/JPEG of whole frames processor P finished (temporal mapping) | processors -> reconstructor |
//! | `tessera/S/sc/G/P/end` | processor P's statistics JSON, after its last packet | processor -> reconstructor |
//! | `tessera/S/out/frame` | an output JPEG; attachment: frame number (u64 big-endian) | reconstructor -> server |
//! | `tessera/S/out/end` | reconstructor and processor statistics JSON | reconstructor -> server |
//! | `tessera/S/stats/P` | processor statistics JSON | processor -> server |

use zenoh::{Config, Session, Wait};

use crate::ClusterError;

/// Opens a zenoh session with no network endpoints and no scouting: the
/// roles of one process reach each other through it and nothing else can.
pub fn open_in_process() -> Result<Session, ClusterError> {
    let mut config = Config::default();
    for (key, value) in [
        ("mode", r#""peer""#),
        ("listen/endpoints", "[]"),
        ("connect/endpoints", "[]"),
        ("scouting/multicast/enabled", "false"),
        ("scouting/gossip/enabled", "false"),
    ] {
        config
            .insert_json5(key, value)
            .map_err(|e| ClusterError::Fabric(format!("zenoh config {key}: {e}")))?;
    }
    zenoh::open(config)
        .wait()
        .map_err(|e| ClusterError::Fabric(format!("opening the zenoh session: {e}")))
}

/// The key expressions of one effects session.
#[derive(Clone, Debug)]
pub struct Keys {
    root: String,
}

impl Keys {
    /// Keys under `tessera/<session>`; `session` must be a single key
    /// chunk (letters, digits, `-`, `_`).
    pub fn new(session: &str) -> Result<Keys, ClusterError> {
        if session.is_empty()
            || !session
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ClusterError::Fabric(format!(
                "session name `{session}`: use letters, digits, - and _"
            )));
        }
        Ok(Keys {
            root: format!("tessera/{session}"),
        })
    }

    pub fn program(&self, processor: usize) -> String {
        format!("{}/program/{processor}", self.root)
    }
    pub fn programs(&self) -> String {
        format!("{}/program/*", self.root)
    }
    pub fn reconstructor_program(&self) -> String {
        format!("{}/program/reconstructor", self.root)
    }
    pub fn alive(&self, role: &str) -> String {
        format!("{}/alive/{role}", self.root)
    }
    pub fn alive_all(&self) -> String {
        format!("{}/alive/*", self.root)
    }
    /// A group's frames go only to that group's processors.
    pub fn feed_input(&self, group: usize, input: usize) -> String {
        format!("{}/feed/{group}/in/{input}", self.root)
    }
    pub fn feed_control(&self, group: usize) -> String {
        format!("{}/feed/{group}/ctl", self.root)
    }
    pub fn feed_group(&self, group: usize) -> String {
        format!("{}/feed/{group}/**", self.root)
    }
    pub fn control(&self) -> String {
        format!("{}/control", self.root)
    }
    pub fn sc(&self, group: usize, processor: usize) -> String {
        format!("{}/sc/{group}/{processor}", self.root)
    }
    pub fn sc_jpeg(&self, group: usize, processor: usize) -> String {
        format!("{}/sc/{group}/{processor}/jpeg", self.root)
    }
    pub fn sc_end(&self, group: usize, processor: usize) -> String {
        format!("{}/sc/{group}/{processor}/end", self.root)
    }
    pub fn sc_all(&self) -> String {
        format!("{}/sc/**", self.root)
    }
    pub fn out_frame(&self) -> String {
        format!("{}/out/frame", self.root)
    }
    pub fn out_end(&self) -> String {
        format!("{}/out/end", self.root)
    }
    pub fn out_all(&self) -> String {
        format!("{}/out/**", self.root)
    }

    /// The part of `key` after this session's root and `/`.
    pub fn relative<'k>(&self, key: &'k str) -> Option<&'k str> {
        key.strip_prefix(self.root.as_str())?.strip_prefix('/')
    }
}
