//! Who may open the control pipe on Windows (SPEC §9: the daemon serves only its own user).
//!
//! Unix restricts the socket with file modes; a named pipe has no file, and its default
//! descriptor lets every local user open it for reading (and Administrators and SYSTEM fully).
//! So the daemon creates the pipe with an explicit descriptor: owner = the current user, and a
//! protected DACL (no inherited entries) with one entry granting that user full access. Nobody
//! else gets any access at all, not even to read the descriptor.
//!
//! The descriptor string is built here by a pure function, tested on every OS; only reading the
//! current user's SID needs Windows ([`win`]).

/// The SDDL of a descriptor that admits `user_sid` alone: `O:<sid>D:P(A;;GA;;;<sid>)`. `None`
/// when `user_sid` is not a SID string (`S-1-<authority>-<sub>...`): text spliced into SDDL
/// must not be able to add entries of its own.
pub fn owner_only_sddl(user_sid: &str) -> Option<String> {
    is_sid_string(user_sid).then(|| format!("O:{user_sid}D:P(A;;GA;;;{user_sid})"))
}

/// `S-1-` followed by at least two dash-separated decimal numbers (authority and a
/// sub-authority), as `ConvertSidToStringSidW` writes them.
fn is_sid_string(sid: &str) -> bool {
    let Some(rest) = sid.strip_prefix("S-1-") else {
        return false;
    };
    let parts: Vec<&str> = rest.split('-').collect();
    parts.len() >= 2
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.len() <= 10 && part.bytes().all(|b| b.is_ascii_digit()))
}

/// The trustees of the DACL entries in an SDDL string (what a test reads back from a live pipe
/// to check that one user, and only that user, is admitted).
pub fn dacl_trustees(sddl: &str) -> Vec<String> {
    let Some(dacl) = sddl.split_once("D:").map(|(_, dacl)| dacl) else {
        return Vec::new();
    };
    // A SACL ("S:") may follow the DACL; its entries are not access grants.
    let dacl = dacl.split_once("S:").map_or(dacl, |(dacl, _)| dacl);
    dacl.split('(')
        .skip(1)
        .filter_map(|ace| ace.split_once(')').map(|(ace, _)| ace))
        .filter_map(|ace| ace.rsplit(';').next().map(str::to_owned))
        .collect()
}

#[cfg(windows)]
pub use win::{current_user_sid, owner_only_descriptor};

/// The current user's SID through three Win32 calls. windows-sys is already in the build
/// (interprocess uses it); no well-kept small crate returns the current user's SID string, so
/// this module carries the crate's only `unsafe` (docs/decisions.md).
#[cfg(windows)]
#[allow(unsafe_code)]
mod win {
    use std::io;
    use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};

    use interprocess::os::windows::security_descriptor::SecurityDescriptor;
    use widestring::U16CString;
    use windows_sys::Win32::Foundation::LocalFree;
    use windows_sys::Win32::Security::Authorization::ConvertSidToStringSidW;
    use windows_sys::Win32::Security::{GetTokenInformation, TOKEN_QUERY, TOKEN_USER, TokenUser};
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

    /// The descriptor the daemon creates its pipe with (see the module docs).
    pub fn owner_only_descriptor() -> io::Result<SecurityDescriptor> {
        let sid = current_user_sid()?;
        let sddl = super::owner_only_sddl(&sid)
            .ok_or_else(|| io::Error::other(format!("unexpected SID string {sid:?}")))?;
        let wide = U16CString::from_str(&sddl).map_err(io::Error::other)?;
        SecurityDescriptor::deserialize(&wide)
    }

    /// `S-1-5-21-...` of the user this process runs as.
    pub fn current_user_sid() -> io::Result<String> {
        let mut raw_token = std::ptr::null_mut();
        // SAFETY: GetCurrentProcess returns a pseudo-handle that needs no closing; the out
        // pointer is valid.
        if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut raw_token) } == 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the call succeeded, so `raw_token` is a handle we own and close once.
        let token = unsafe { OwnedHandle::from_raw_handle(raw_token) };

        let mut needed = 0u32;
        // SAFETY: a null buffer of length 0 asks for the size only (the call "fails" with
        // ERROR_INSUFFICIENT_BUFFER and sets `needed`).
        unsafe {
            GetTokenInformation(
                token.as_raw_handle(),
                TokenUser,
                std::ptr::null_mut(),
                0,
                &mut needed,
            )
        };
        if (needed as usize) < std::mem::size_of::<TOKEN_USER>() {
            return Err(io::Error::last_os_error());
        }
        // u64 elements: TOKEN_USER holds a pointer and needs its alignment.
        let mut buffer = vec![0u64; (needed as usize).div_ceil(8)];
        // SAFETY: the buffer is writable for `needed` bytes and suitably aligned.
        let ok = unsafe {
            GetTokenInformation(
                token.as_raw_handle(),
                TokenUser,
                buffer.as_mut_ptr().cast(),
                needed,
                &mut needed,
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: on success the buffer starts with a TOKEN_USER whose SID points into the
        // buffer, which outlives every use below.
        let user = unsafe { &*buffer.as_ptr().cast::<TOKEN_USER>() };

        let mut wide = std::ptr::null_mut();
        // SAFETY: a valid SID in, a valid out pointer; the string is LocalAlloc'ed for us.
        if unsafe { ConvertSidToStringSidW(user.User.Sid, &mut wide) } == 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `wide` is a NUL-terminated UTF-16 string that we free right after copying.
        let sid = unsafe { widestring::U16CStr::from_ptr_str(wide) }.to_string_lossy();
        // SAFETY: allocated by ConvertSidToStringSidW with LocalAlloc, freed once.
        unsafe { LocalFree(wide.cast()) };
        Ok(sid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SID: &str = "S-1-5-21-3623811015-3361044348-30300820-1013";

    #[test]
    fn the_descriptor_admits_the_user_alone() {
        assert_eq!(
            owner_only_sddl(SID).as_deref(),
            Some(
                "O:S-1-5-21-3623811015-3361044348-30300820-1013\
                 D:P(A;;GA;;;S-1-5-21-3623811015-3361044348-30300820-1013)"
            )
        );
        let sddl = owner_only_sddl(SID).unwrap_or_default();
        assert_eq!(dacl_trustees(&sddl), vec![SID.to_owned()]);
        // P: inherited entries (say, Everyone from a parent) are blocked.
        assert!(sddl.contains("D:P("));
    }

    #[test]
    fn only_sid_strings_are_spliced_into_sddl() {
        assert!(owner_only_sddl("S-1-5-18").is_some());
        for bad in [
            "",
            "WD",
            "S-1-5",
            "S-1-5-",
            "S-1-5--1",
            "S-1-5-21)(A;;GA;;;WD",
            "s-1-5-18",
            "S-1-5-18 ",
            "S-1-5-99999999999",
        ] {
            assert_eq!(owner_only_sddl(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn trustees_are_read_from_the_dacl_only() {
        let read_back = "O:S-1-5-21-1-2-3-1001G:S-1-5-21-1-2-3-513\
                         D:P(A;;FA;;;S-1-5-21-1-2-3-1001)S:(ML;;NW;;;LW)";
        assert_eq!(dacl_trustees(read_back), vec!["S-1-5-21-1-2-3-1001"]);
        assert_eq!(dacl_trustees("D:(A;;GA;;;SY)(A;;GR;;;WD)"), vec!["SY", "WD"]);
        assert!(dacl_trustees("O:SY").is_empty());
    }
}
