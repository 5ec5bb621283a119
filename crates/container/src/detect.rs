//! Telling the containers apart by file name or by their first bytes.

use std::fmt;
use std::path::Path;

/// The container formats this crate reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContainerKind {
    /// YUV4MPEG2 raw video, see [`crate::y4m`].
    Y4m,
    /// Raw concatenated JPEG images, see [`crate::mjpeg`].
    Mjpeg,
    /// RIFF AVI with a motion JPEG video stream, see [`crate::avi`].
    Avi,
}

impl ContainerKind {
    /// Guesses the format from the file extension (case-insensitive):
    /// `.y4m`; `.mjpeg`, `.mjpg`, `.jpg-stream`; `.avi`.
    pub fn from_path(path: &Path) -> Option<ContainerKind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "y4m" => Some(ContainerKind::Y4m),
            "mjpeg" | "mjpg" | "jpg-stream" => Some(ContainerKind::Mjpeg),
            "avi" => Some(ContainerKind::Avi),
            _ => None,
        }
    }

    /// Recognises the format from the first bytes of a file: `YUV4MPEG2 `,
    /// a JPEG SOI (`FF D8`), or `RIFF <size> AVI `. Twelve bytes suffice.
    pub fn sniff(head: &[u8]) -> Option<ContainerKind> {
        if head.starts_with(b"YUV4MPEG2 ") {
            Some(ContainerKind::Y4m)
        } else if head.starts_with(&[0xFF, 0xD8]) {
            Some(ContainerKind::Mjpeg)
        } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"AVI " {
            Some(ContainerKind::Avi)
        } else {
            None
        }
    }

    /// A short name for messages.
    pub const fn name(self) -> &'static str {
        match self {
            ContainerKind::Y4m => "Y4M",
            ContainerKind::Mjpeg => "MJPEG",
            ContainerKind::Avi => "AVI",
        }
    }
}

impl fmt::Display for ContainerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_extension() {
        for (name, kind) in [
            ("a.y4m", Some(ContainerKind::Y4m)),
            ("dir.x/b.MJPEG", Some(ContainerKind::Mjpeg)),
            ("c.mjpg", Some(ContainerKind::Mjpeg)),
            ("d.jpg-stream", Some(ContainerKind::Mjpeg)),
            ("e.Avi", Some(ContainerKind::Avi)),
            ("f.jpg", None),
            ("avi", None),
        ] {
            assert_eq!(ContainerKind::from_path(Path::new(name)), kind, "{name}");
        }
    }

    #[test]
    fn by_magic() {
        assert_eq!(
            ContainerKind::sniff(b"YUV4MPEG2 W1"),
            Some(ContainerKind::Y4m)
        );
        assert_eq!(
            ContainerKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(ContainerKind::Mjpeg)
        );
        assert_eq!(
            ContainerKind::sniff(b"RIFF\x10\0\0\0AVI LIST"),
            Some(ContainerKind::Avi)
        );
        assert_eq!(ContainerKind::sniff(b"RIFF\x10\0\0\0WAVE"), None);
        assert_eq!(ContainerKind::sniff(b"RIFF"), None);
        assert_eq!(ContainerKind::sniff(b""), None);
    }
}
