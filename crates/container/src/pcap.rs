//! Packet capture files (the libpcap format Wireshark and tcpdump use)
//! holding UDP datagrams: how RTP streams are stored, replayed and
//! inspected without a network.
//!
//! Written captures use Ethernet link type with IPv4/UDP headers (UDP
//! checksum left at zero, which IPv4 allows). Reading accepts Ethernet,
//! raw IPv4 and Linux cooked captures and skips everything that is not an
//! IPv4/UDP datagram (counted).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use etherparse::{PacketBuilder, SlicedPacket, TransportSlice};
use pcap_file::DataLink;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapReader, PcapWriter};

use crate::error::{Error, Result};

/// Largest datagram accepted when reading (the IPv4 maximum).
pub const MAX_DATAGRAM: usize = 65535;

/// One UDP datagram of a capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UdpDatagram {
    /// Capture time, from the start of the epoch the writer chose.
    pub time: Duration,
    pub source: SocketAddrV4,
    pub destination: SocketAddrV4,
    pub payload: Vec<u8>,
}

fn pcap_error(e: pcap_file::PcapError) -> Error {
    match e {
        pcap_file::PcapError::IoError(io) => Error::Io(io),
        other => Error::Pcap(other.to_string()),
    }
}

/// Writes UDP datagrams to a capture file.
pub struct PcapUdpWriter<W: Write> {
    inner: PcapWriter<W>,
    frame: Vec<u8>,
    written: u64,
}

impl<W: Write> std::fmt::Debug for PcapUdpWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcapUdpWriter")
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

impl<W: Write> PcapUdpWriter<W> {
    /// Starts a capture (microsecond timestamps, Ethernet link type).
    pub fn new(writer: W) -> Result<Self> {
        let header = PcapHeader {
            datalink: DataLink::ETHERNET,
            ..PcapHeader::default()
        };
        Ok(PcapUdpWriter {
            inner: PcapWriter::with_header(writer, header).map_err(pcap_error)?,
            frame: Vec::with_capacity(1600),
            written: 0,
        })
    }

    /// Appends one datagram.
    pub fn write(
        &mut self,
        time: Duration,
        source: SocketAddrV4,
        destination: SocketAddrV4,
        payload: &[u8],
    ) -> Result<()> {
        if payload.len() > MAX_DATAGRAM - 28 {
            return Err(Error::InvalidArgument(format!(
                "a UDP payload of {} bytes does not fit an IPv4 datagram",
                payload.len()
            )));
        }
        // Locally administered MAC addresses derived from the IPs.
        let mac = |ip: Ipv4Addr| {
            let o = ip.octets();
            [0x02, 0x00, o[0], o[1], o[2], o[3]]
        };
        let builder = PacketBuilder::ethernet2(mac(*source.ip()), mac(*destination.ip()))
            .ipv4(source.ip().octets(), destination.ip().octets(), 64)
            .udp(source.port(), destination.port());
        self.frame.clear();
        builder
            .write(&mut self.frame, payload)
            .map_err(|e| Error::InvalidArgument(format!("building a UDP frame: {e}")))?;
        let packet = PcapPacket::new(time, self.frame.len() as u32, &self.frame);
        self.inner.write_packet(&packet).map_err(pcap_error)?;
        self.written += 1;
        Ok(())
    }

    pub fn datagrams_written(&self) -> u64 {
        self.written
    }

    /// Flushes and returns the writer.
    pub fn into_inner(self) -> Result<W> {
        let mut w = self.inner.into_writer();
        w.flush()?;
        Ok(w)
    }
}

/// Reads the UDP datagrams of a capture file in order.
pub struct PcapUdpReader<R: Read> {
    inner: PcapReader<R>,
    datalink: DataLink,
    skipped: u64,
    read: u64,
}

impl<R: Read> std::fmt::Debug for PcapUdpReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcapUdpReader")
            .field("datalink", &self.datalink)
            .field("read", &self.read)
            .field("skipped", &self.skipped)
            .finish_non_exhaustive()
    }
}

impl<R: Read> PcapUdpReader<R> {
    pub fn new(reader: R) -> Result<Self> {
        let inner = PcapReader::new(reader).map_err(pcap_error)?;
        let datalink = inner.header().datalink;
        match datalink {
            DataLink::ETHERNET | DataLink::RAW | DataLink::IPV4 | DataLink::LINUX_SLL => {}
            other => {
                return Err(Error::Pcap(format!(
                    "link type {other:?} (Ethernet, raw IPv4 and Linux cooked captures are read)"
                )));
            }
        }
        Ok(PcapUdpReader {
            inner,
            datalink,
            skipped: 0,
            read: 0,
        })
    }

    /// Records that were not IPv4/UDP (or were cut short) and were skipped.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The next UDP datagram, or `None` at the end of the capture.
    pub fn next_datagram(&mut self) -> Result<Option<UdpDatagram>> {
        loop {
            let Some(record) = self.inner.next_packet() else {
                return Ok(None);
            };
            let record = record.map_err(pcap_error)?;
            if record.data.len() > MAX_DATAGRAM + 64 {
                self.skipped += 1;
                continue;
            }
            let sliced = match self.datalink {
                DataLink::ETHERNET => SlicedPacket::from_ethernet(&record.data).ok(),
                DataLink::LINUX_SLL => SlicedPacket::from_linux_sll(&record.data).ok(),
                _ => SlicedPacket::from_ip(&record.data).ok(),
            };
            let Some(sliced) = sliced else {
                self.skipped += 1;
                continue;
            };
            let ips = match &sliced.net {
                Some(etherparse::NetSlice::Ipv4(ip)) => {
                    let h = ip.header();
                    Some((h.source_addr(), h.destination_addr()))
                }
                _ => None,
            };
            match (ips, &sliced.transport) {
                (Some((src, dst)), Some(TransportSlice::Udp(udp))) => {
                    self.read += 1;
                    return Ok(Some(UdpDatagram {
                        time: record.timestamp,
                        source: SocketAddrV4::new(src, udp.source_port()),
                        destination: SocketAddrV4::new(dst, udp.destination_port()),
                        payload: udp.payload().to_vec(),
                    }));
                }
                _ => self.skipped += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datagrams_round_trip() {
        let mut w = PcapUdpWriter::new(Vec::new()).unwrap();
        let a = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 5000);
        let b = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 5004);
        w.write(Duration::from_millis(40), a, b, b"hello").unwrap();
        w.write(Duration::from_millis(80), b, a, &[0u8; 1400])
            .unwrap();
        let bytes = w.into_inner().unwrap();
        let mut r = PcapUdpReader::new(&bytes[..]).unwrap();
        let first = r.next_datagram().unwrap().unwrap();
        assert_eq!(
            (first.source, first.destination, first.payload.as_slice()),
            (a, b, &b"hello"[..])
        );
        assert_eq!(first.time, Duration::from_millis(40));
        assert_eq!(r.next_datagram().unwrap().unwrap().payload.len(), 1400);
        assert!(r.next_datagram().unwrap().is_none());
    }

    #[test]
    fn hostile_captures_do_not_panic() {
        let mut w = PcapUdpWriter::new(Vec::new()).unwrap();
        let a = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 1);
        w.write(Duration::ZERO, a, a, &[7u8; 300]).unwrap();
        let bytes = w.into_inner().unwrap();
        for len in 0..bytes.len() {
            if let Ok(mut r) = PcapUdpReader::new(&bytes[..len]) {
                while let Ok(Some(_)) = r.next_datagram() {}
            }
        }
        // A record claiming 4 GiB.
        let mut huge = bytes[..24].to_vec();
        huge.extend_from_slice(&[
            0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ]);
        let mut r = PcapUdpReader::new(&huge[..]).unwrap();
        assert!(r.next_datagram().is_err());
    }
}
