//! Which process holds a listen address (SPEC §9: "If the listen address is in use, the daemon
//! exits non-zero naming it (and the owning pid where known)").
//!
//! On Linux the kernel says it without `lsof`: `/proc/net/tcp{,6}` maps a listening socket to
//! its inode, and `/proc/<pid>/fd/*` links name the inodes each process holds. Processes of
//! other users cannot be looked into; then the owner is simply unknown. Elsewhere it is always
//! unknown.

use std::net::SocketAddr;

/// The process holding a listening socket: pid and command name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    pub name: String,
}

/// The error text for a listen address already in use, naming its holder where known.
pub fn in_use_message(addr: SocketAddr) -> String {
    let who = match holder(addr) {
        Some(h) => format!("by {} (pid {})", h.name, h.pid),
        None => "by another process".to_owned(),
    };
    format!(
        "listen address {addr} is already in use {who}; codex-routerd never falls back to another \
         port (stop that process, or set [proxy] listen or CODEX_ROUTER_LISTEN)"
    )
}

/// The process holding a socket listening on `addr` (or on the wildcard address of its port).
#[cfg(target_os = "linux")]
pub fn holder(addr: SocketAddr) -> Option<Holder> {
    let table = if addr.is_ipv4() {
        "/proc/net/tcp"
    } else {
        "/proc/net/tcp6"
    };
    let text = std::fs::read_to_string(table).ok()?;
    let inode = listening_inode(&text, addr)?;
    let wanted = format!("socket:[{inode}]");
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        let holds = fds
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l.as_os_str() == wanted.as_str()));
        if holds {
            let name = std::fs::read_to_string(entry.path().join("comm"))
                .map(|s| s.trim().to_owned())
                .unwrap_or_else(|_| "an unknown program".to_owned());
            return Some(Holder { pid, name });
        }
    }
    None
}

#[cfg(not(target_os = "linux"))]
pub fn holder(_addr: SocketAddr) -> Option<Holder> {
    None
}

/// The inode of the socket in `table` (the text of `/proc/net/tcp` or `tcp6`) that listens on
/// `addr`'s port at `addr`'s address or the wildcard address.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn listening_inode(table: &str, addr: SocketAddr) -> Option<u64> {
    const LISTEN: &str = "0A";
    table.lines().skip(1).find_map(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let (local, state, inode) = (cols.get(1)?, cols.get(3)?, cols.get(9)?);
        if *state != LISTEN {
            return None;
        }
        let (ip_hex, port_hex) = local.split_once(':')?;
        if u16::from_str_radix(port_hex, 16).ok()? != addr.port() {
            return None;
        }
        let ip = parse_ip(ip_hex)?;
        (ip == addr.ip() || ip.is_unspecified()).then(|| inode.parse().ok())?
    })
}

/// An address as the kernel prints it: each 32-bit word in host byte order, in hex.
fn parse_ip(hex: &str) -> Option<std::net::IpAddr> {
    let mut bytes = Vec::with_capacity(16);
    for i in (0..hex.len()).step_by(8) {
        let word = u32::from_str_radix(hex.get(i..i + 8)?, 16).ok()?;
        bytes.extend_from_slice(&word.to_ne_bytes());
    }
    match bytes.len() {
        4 => Some(std::net::IpAddr::from([bytes[0], bytes[1], bytes[2], bytes[3]])),
        16 => {
            let b: [u8; 16] = bytes.try_into().ok()?;
            Some(std::net::IpAddr::from(b))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listening_socket_of_a_port_is_found_in_the_kernel_table() {
        // Little-endian host, as the kernel prints it: 127.0.0.1:2456 listening, one
        // established connection to the same port, and 0.0.0.0:8080 listening.
        let lo = u32::from_ne_bytes([127, 0, 0, 1]);
        let table = format!(
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
             0: {lo:08X}:0998 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0 100 0 0 10 0\n\
             1: {lo:08X}:0998 {lo:08X}:D431 01 00000000:00000000 00:00000000 00000000  1000        0 999 1 0 20 4 30 10 -1\n\
             2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 77 1 0 100 0 0 10 0\n"
        );
        let at = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert_eq!(listening_inode(&table, at("127.0.0.1:2456")), Some(4242));
        assert_eq!(
            listening_inode(&table, at("127.0.0.1:8080")),
            Some(77),
            "wildcard"
        );
        assert_eq!(listening_inode(&table, at("127.0.0.1:9999")), None);
        assert_eq!(listening_inode(&table, at("127.0.0.2:2456")), None);
    }

    #[test]
    fn an_ipv6_loopback_address_parses() {
        let one = u32::from_ne_bytes([0, 0, 0, 1]);
        let hex = format!("000000000000000000000000{one:08X}");
        assert_eq!(parse_ip(&hex), Some("::1".parse().unwrap()));
    }

    // A listen address in use: the error names the address and the process holding it.
    #[cfg(target_os = "linux")]
    #[test]
    fn listen_address_in_use_names_the_holders_pid_and_name() {
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = held.local_addr().unwrap();
        let h = holder(addr).expect("this process holds it");
        assert_eq!(h.pid, std::process::id());
        let msg = in_use_message(addr);
        assert!(msg.contains(&addr.to_string()), "{msg}");
        assert!(msg.contains(&format!("(pid {})", std::process::id())), "{msg}");
        assert!(msg.contains(&h.name) && !h.name.is_empty(), "{msg}");
    }
}
