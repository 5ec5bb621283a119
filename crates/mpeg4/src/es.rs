//! Elementary stream framing: start codes (6.2.1, Table 6-3) and splitting a
//! `.m4v` stream into its configuration headers and its VOPs, as muxers and
//! RTP payloaders need.

/// Start code values (the byte after the `00 00 01` prefix), Table 6-3.
pub mod code {
    /// `video_object_start_code` range 0x00..=0x1f.
    pub const VIDEO_OBJECT_LAST: u8 = 0x1f;
    /// `video_object_layer_start_code` range 0x20..=0x2f.
    pub const VOL_FIRST: u8 = 0x20;
    pub const VOL_LAST: u8 = 0x2f;
    pub const VISUAL_OBJECT_SEQUENCE: u8 = 0xb0;
    pub const VISUAL_OBJECT_SEQUENCE_END: u8 = 0xb1;
    pub const USER_DATA: u8 = 0xb2;
    pub const GROUP_OF_VOP: u8 = 0xb3;
    pub const VISUAL_OBJECT: u8 = 0xb5;
    pub const VOP: u8 = 0xb6;
}

/// One start-code delimited unit: `code` is the byte after `00 00 01`, and
/// `data` runs from the prefix up to the next prefix (or the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unit<'a> {
    pub code: u8,
    /// Byte offset of the `00 00 01` prefix in the stream.
    pub offset: usize,
    pub data: &'a [u8],
}

/// Finds the byte offset of the next `00 00 01` prefix at or after `from`.
pub fn find_start_code(data: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 3 <= data.len() {
        // Skip quickly over bytes that cannot end a prefix.
        if data[i + 2] > 1 {
            i += 3;
        } else if data[i + 2] == 1 && data[i] == 0 && data[i + 1] == 0 {
            return Some(i);
        } else {
            i += 1;
        }
    }
    None
}

/// Iterates the start-code units of a stream. Bytes before the first start
/// code are skipped.
pub fn units(data: &[u8]) -> impl Iterator<Item = Unit<'_>> {
    let mut next = find_start_code(data, 0);
    std::iter::from_fn(move || {
        let start = next?;
        let code = *data.get(start + 3)?;
        next = find_start_code(data, start + 3);
        let end = next.unwrap_or(data.len());
        Some(Unit {
            code,
            offset: start,
            data: &data[start..end],
        })
    })
}

/// Coding type of a VOP from the two bits after its start code (6.3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VopKind {
    I,
    P,
    B,
    S,
}

/// A stream split for muxing: the configuration (everything before the first
/// GOV or VOP: VOS, VO, VOL headers and user data) and one access unit per
/// VOP (a VOP plus any GOV/user data headers that precede it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    pub config: Vec<u8>,
    pub access_units: Vec<AccessUnit>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessUnit {
    pub data: Vec<u8>,
    pub kind: VopKind,
}

/// Splits an elementary stream into configuration and access units.
pub fn split(data: &[u8]) -> Split {
    let mut out = Split::default();
    let mut pending: Vec<u8> = Vec::new();
    let mut seen_vop = false; // or a GOV
    for unit in units(data) {
        match unit.code {
            code::VOP => {
                seen_vop = true;
                let kind = match unit.data.get(4).map(|b| b >> 6) {
                    Some(0) => VopKind::I,
                    Some(1) => VopKind::P,
                    Some(2) => VopKind::B,
                    _ => VopKind::S,
                };
                pending.extend_from_slice(unit.data);
                out.access_units.push(AccessUnit {
                    data: std::mem::take(&mut pending),
                    kind,
                });
            }
            code::VISUAL_OBJECT_SEQUENCE_END => {
                if let Some(last) = out.access_units.last_mut() {
                    last.data.extend_from_slice(unit.data);
                }
            }
            // A GOV opens the first access unit rather than ending the
            // configuration: MP4 decoder specific info and SDP `config`
            // carry no GOV.
            code::GROUP_OF_VOP => {
                seen_vop = true;
                pending.extend_from_slice(unit.data);
            }
            _ if !seen_vop => out.config.extend_from_slice(unit.data),
            _ => pending.extend_from_slice(unit.data),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_config_and_vops() {
        let stream = [
            0, 0, 1, 0xb0, 1, // VOS
            0, 0, 1, 0xb5, 9, // VO
            0, 0, 1, 0x00, //
            0, 0, 1, 0x20, 7, 7, // VOL
            0, 0, 1, 0xb6, 0x10, 3, // I-VOP
            0, 0, 1, 0xb6, 0x50, 4, // P-VOP
            0, 0, 1, 0xb3, 2, // GOV
            0, 0, 1, 0xb6, 0x11, 5, // I-VOP
            0, 0, 1, 0xb1,
        ];
        let s = split(&stream);
        assert_eq!(s.config.len(), 20);
        assert_eq!(s.access_units.len(), 3);
        assert_eq!(s.access_units[0].kind, VopKind::I);
        assert_eq!(s.access_units[1].kind, VopKind::P);
        assert_eq!(s.access_units[2].kind, VopKind::I);
        assert_eq!(
            s.access_units[2].data,
            vec![0, 0, 1, 0xb3, 2, 0, 0, 1, 0xb6, 0x11, 5, 0, 0, 1, 0xb1]
        );
    }

    #[test]
    fn finds_prefixes_anywhere() {
        let data = [5, 0, 0, 0, 1, 0xb6, 0, 0, 1];
        assert_eq!(find_start_code(&data, 0), Some(2));
        assert_eq!(find_start_code(&data, 3), Some(6));
        assert_eq!(units(&data).count(), 1);
    }
}
