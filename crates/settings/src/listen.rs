//! The proxy's listen address, loopback only (SPEC §4).
//!
//! The proxy injects account credentials into whatever it forwards, so it must never be
//! reachable from another machine: only `127.0.0.0/8`, `::1` and the name `localhost` are
//! accepted. `localhost` binds `127.0.0.1` (never a resolver answer, which could be anything)
//! but is remembered as written so `config show` prints what the user wrote.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

/// The form accepted, for error messages.
pub(crate) const LISTEN_FORM: &str =
    "a loopback host:port (127.0.0.0/8, [::1] or localhost; port 0-65535), e.g. \"127.0.0.1:2456\"";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenHost {
    Ip(IpAddr),
    /// Written as `localhost`; binds `127.0.0.1`.
    Localhost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenAddr {
    host: ListenHost,
    port: u16,
}

/// Why a listen address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListenAddrError {
    #[error("not of the form host:port")]
    Malformed,
    #[error("not a loopback address")]
    NotLoopback,
    #[error("the port is not a number from 0 to 65535")]
    BadPort,
}

impl ListenAddr {
    pub const DEFAULT: ListenAddr = ListenAddr {
        host: ListenHost::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        port: 2456,
    };

    /// A loopback socket address; `None` for any other.
    pub fn from_socket_addr(addr: SocketAddr) -> Option<Self> {
        addr.ip().is_loopback().then_some(Self {
            host: ListenHost::Ip(addr.ip()),
            port: addr.port(),
        })
    }

    pub fn host(&self) -> ListenHost {
        self.host
    }

    /// Port 0 means "any free port" (tests); the daemon reports the port it got.
    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn is_localhost_name(&self) -> bool {
        self.host == ListenHost::Localhost
    }

    /// The address to bind: `localhost` is `127.0.0.1`.
    pub fn socket_addr(&self) -> SocketAddr {
        match self.host {
            ListenHost::Ip(ip) => SocketAddr::new(ip, self.port),
            ListenHost::Localhost => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), self.port),
        }
    }

    /// The same host with another port (the one actually bound after asking for port 0).
    pub fn with_port(self, port: u16) -> Self {
        Self { port, ..self }
    }
}

impl FromStr for ListenAddr {
    type Err = ListenAddrError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (v6, port) = rest.split_once("]:").ok_or(ListenAddrError::Malformed)?;
            let ip: Ipv6Addr = v6.parse().map_err(|_| ListenAddrError::Malformed)?;
            (ListenHost::Ip(IpAddr::V6(ip)), port)
        } else {
            let (host, port) = text.rsplit_once(':').ok_or(ListenAddrError::Malformed)?;
            if host.eq_ignore_ascii_case("localhost") {
                (ListenHost::Localhost, port)
            } else if host.contains(':') {
                // A bare IPv6 address: the port cannot be told apart without brackets.
                return Err(ListenAddrError::Malformed);
            } else if let Ok(ip) = host.parse::<Ipv4Addr>() {
                (ListenHost::Ip(IpAddr::V4(ip)), port)
            } else if host.is_empty() {
                return Err(ListenAddrError::Malformed);
            } else {
                // Any other name: it could resolve anywhere.
                return Err(ListenAddrError::NotLoopback);
            }
        };
        if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ListenAddrError::BadPort);
        }
        let port: u16 = port.parse().map_err(|_| ListenAddrError::BadPort)?;
        if let ListenHost::Ip(ip) = host
            && !ip.is_loopback()
        {
            return Err(ListenAddrError::NotLoopback);
        }
        Ok(Self { host, port })
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.host {
            ListenHost::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]:{}", self.port),
            ListenHost::Ip(IpAddr::V4(ip)) => write!(f, "{ip}:{}", self.port),
            ListenHost::Localhost => write!(f, "localhost:{}", self.port),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The router host must be loopback only; anything else is refused.
    #[test]
    fn non_loopback_addresses_are_refused() {
        for bad in [
            "0.0.0.0:2456",
            "192.168.1.1:2456",
            "10.0.0.1:80",
            "example.com:2456",
            "[::]:2456",
            "[::ffff:127.0.0.1]:2456",
            "[2001:db8::1]:2456",
            "localhost.evil.com:2456",
        ] {
            assert_eq!(
                bad.parse::<ListenAddr>(),
                Err(ListenAddrError::NotLoopback),
                "{bad}"
            );
        }
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "127.0.0.1",
            "::1:2456",
            "[::1]",
            "[::1]2456",
            ":2456",
            "localhost",
        ] {
            assert!(bad.parse::<ListenAddr>().is_err(), "{bad}");
        }
        for bad in [
            "127.0.0.1:",
            "127.0.0.1:65536",
            "127.0.0.1:+80",
            "127.0.0.1:-1",
            "localhost:http",
        ] {
            assert_eq!(bad.parse::<ListenAddr>(), Err(ListenAddrError::BadPort), "{bad}");
        }
    }

    #[test]
    fn loopback_forms_are_accepted() {
        let a: ListenAddr = "127.0.0.2:0".parse().unwrap();
        assert_eq!(a.socket_addr(), "127.0.0.2:0".parse::<SocketAddr>().unwrap());
        assert_eq!(a.port(), 0);
        let b: ListenAddr = "[::1]:2456".parse().unwrap();
        assert_eq!(b.socket_addr(), "[::1]:2456".parse::<SocketAddr>().unwrap());
        assert_eq!(b.to_string(), "[::1]:2456");
        let c: ListenAddr = "localhost:2456".parse().unwrap();
        assert!(c.is_localhost_name());
        assert_eq!(c.socket_addr(), "127.0.0.1:2456".parse::<SocketAddr>().unwrap());
        assert_eq!(c.to_string(), "localhost:2456");
        assert_eq!(c.with_port(4000).to_string(), "localhost:4000");
        let d: ListenAddr = "127.255.255.254:65535".parse().unwrap();
        assert_eq!(d.to_string(), "127.255.255.254:65535");
        assert_eq!(ListenAddr::DEFAULT.to_string(), "127.0.0.1:2456");
    }

    #[test]
    fn from_socket_addr_keeps_loopback_only() {
        assert!(ListenAddr::from_socket_addr("127.0.0.1:9".parse().unwrap()).is_some());
        assert!(ListenAddr::from_socket_addr("0.0.0.0:9".parse().unwrap()).is_none());
    }
}
