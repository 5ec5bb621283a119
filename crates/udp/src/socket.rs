//! Sockets for unicast and multicast RTP.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use socket2::{Domain, InterfaceIndexOrAddress, Protocol, SockAddr, Socket, Type};

use crate::url::RtpUrl;

/// Largest UDP payload.
const MAX_DATAGRAM: usize = 65536;

/// Counters of a receiving socket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DatagramStats {
    pub datagrams: u64,
    pub bytes: u64,
    /// Receive errors other than timeouts.
    pub errors: u64,
}

/// A bound (and, for multicast, joined) receiving socket.
#[derive(Debug)]
pub struct Receiver {
    socket: UdpSocket,
    nonblocking: bool,
    buf: Vec<u8>,
    stats: DatagramStats,
    /// The receive buffer size the kernel granted.
    pub rcvbuf: usize,
}

/// How an interface is named in a URL: an IPv4 address or a name.
fn interface(iface: &str) -> io::Result<InterfaceIndexOrAddress> {
    if let Ok(addr) = iface.parse::<Ipv4Addr>() {
        return Ok(InterfaceIndexOrAddress::Address(addr));
    }
    // The kernel's index for a name, without libc: /sys/class/net/NAME/ifindex.
    if iface.is_empty() || iface.contains(['/', '.']) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("bad interface name {iface:?}"),
        ));
    }
    let index = std::fs::read_to_string(format!("/sys/class/net/{iface}/ifindex"))
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("no network interface {iface:?}"),
            )
        })?;
    Ok(InterfaceIndexOrAddress::Index(index))
}

fn new_socket(address: &SocketAddr) -> io::Result<Socket> {
    let domain = if address.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))
}

/// Opens a socket receiving what is sent to `url`: bound to its address
/// (unicast) or joined to its group on `iface` (multicast; several
/// receivers on one host may share the port).
pub fn open_receiver(url: &RtpUrl) -> io::Result<Receiver> {
    let socket = new_socket(&url.address)?;
    socket.set_reuse_address(true)?;
    if let Some(bytes) = url.rcvbuf {
        socket.set_recv_buffer_size(bytes)?;
    }
    match url.address.ip() {
        IpAddr::V4(group) if group.is_multicast() => {
            socket.set_reuse_port(true)?;
            // Bound to the group address, the socket sees only that group.
            socket.bind(&SockAddr::from(url.address))?;
            let iface = match &url.iface {
                Some(name) => interface(name)?,
                None => InterfaceIndexOrAddress::Address(Ipv4Addr::UNSPECIFIED),
            };
            socket.join_multicast_v4_n(&group, &iface)?;
        }
        IpAddr::V6(group) if group.is_multicast() => {
            socket.set_reuse_port(true)?;
            socket.bind(&SockAddr::from(url.address))?;
            let index = match &url.iface {
                Some(name) => match interface(name)? {
                    InterfaceIndexOrAddress::Index(i) => i,
                    InterfaceIndexOrAddress::Address(_) => 0,
                },
                None => 0,
            };
            socket.join_multicast_v6(&group, index)?;
        }
        _ => socket.bind(&SockAddr::from(url.address))?,
    }
    let rcvbuf = socket.recv_buffer_size().unwrap_or(0);
    Ok(Receiver {
        socket: socket.into(),
        nonblocking: false,
        buf: vec![0; MAX_DATAGRAM],
        stats: DatagramStats::default(),
        rcvbuf,
    })
}

impl Receiver {
    /// Waits up to `timeout` for one datagram. `Ok(None)` on timeout.
    pub fn recv(&mut self, timeout: Duration) -> io::Result<Option<(&[u8], SocketAddr)>> {
        if self.nonblocking {
            self.socket.set_nonblocking(false)?;
            self.nonblocking = false;
        }
        self.socket
            .set_read_timeout(Some(timeout.max(Duration::from_micros(1))))?;
        self.receive()
    }

    /// One datagram if one is waiting, without blocking (a read timeout
    /// rounds up to a kernel tick, several milliseconds).
    pub fn try_recv(&mut self) -> io::Result<Option<(&[u8], SocketAddr)>> {
        if !self.nonblocking {
            self.socket.set_nonblocking(true)?;
            self.nonblocking = true;
        }
        self.receive()
    }

    fn receive(&mut self) -> io::Result<Option<(&[u8], SocketAddr)>> {
        match self.socket.recv_from(&mut self.buf) {
            Ok((n, from)) => {
                self.stats.datagrams += 1;
                self.stats.bytes += n as u64;
                Ok(Some((&self.buf[..n], from)))
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(None)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(None),
            Err(e) => {
                self.stats.errors += 1;
                Err(e)
            }
        }
    }

    pub fn stats(&self) -> DatagramStats {
        self.stats
    }

    /// Sends from this socket (e.g. RTCP receiver reports back to the
    /// address a sender report came from).
    pub fn send_to(&self, data: &[u8], to: SocketAddr) -> io::Result<usize> {
        self.socket.send_to(data, to)
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }
}

/// Opens a socket sending to `url`'s address (connected to it). For
/// multicast: TTL, loopback and the outgoing interface from the URL.
pub fn open_sender(url: &RtpUrl) -> io::Result<UdpSocket> {
    let socket = new_socket(&url.address)?;
    let local: SocketAddr = match (url.source, url.address) {
        (Some(ip), _) => SocketAddr::new(ip, 0),
        (None, SocketAddr::V4(_)) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        (None, SocketAddr::V6(_)) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    if url.is_multicast() {
        match url.address.ip() {
            IpAddr::V4(_) => {
                socket.set_multicast_ttl_v4(url.ttl)?;
                socket.set_multicast_loop_v4(url.multicast_loop)?;
                match url.iface.as_deref().map(interface).transpose()? {
                    Some(InterfaceIndexOrAddress::Address(a)) => socket.set_multicast_if_v4(&a)?,
                    Some(InterfaceIndexOrAddress::Index(_)) => {
                        let name = url.iface.as_deref().unwrap_or_default();
                        socket.bind_device(Some(name.as_bytes()))?;
                    }
                    None => {}
                }
            }
            IpAddr::V6(_) => {
                socket.set_multicast_hops_v6(url.ttl)?;
                socket.set_multicast_loop_v6(url.multicast_loop)?;
            }
        }
    }
    socket.bind(&SockAddr::from(local))?;
    socket.connect(&SockAddr::from(url.address))?;
    // Large frames go out in bursts; give the kernel room for them.
    let _ = socket.set_send_buffer_size(4 << 20);
    Ok(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicast_loopback() {
        let url: RtpUrl = "rtp://127.0.0.1:0".parse().unwrap_or_else(|_| {
            // Port 0 is refused by the URL parser; pick one through a probe.
            let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
            let port = probe.local_addr().unwrap().port();
            drop(probe);
            format!("rtp://127.0.0.1:{port}?rcvbuf=1048576")
                .parse()
                .unwrap()
        });
        let mut rx = open_receiver(&url).unwrap();
        assert!(rx.rcvbuf >= 1 << 20);
        let tx = open_sender(&url).unwrap();
        tx.send(b"hello").unwrap();
        let (data, _) = rx.recv(Duration::from_secs(2)).unwrap().unwrap();
        assert_eq!(data, b"hello");
        assert!(rx.recv(Duration::from_millis(10)).unwrap().is_none());
        assert_eq!(rx.stats().datagrams, 1);
        assert!(interface("no-such-if0").is_err());
    }
}
