//! The control named pipe on Windows, read back from the OS: only the current user is admitted,
//! a second daemon is told "already in use", and a busy pipe counts as a live daemon. Runs in
//! the Windows CI job (the pure parts are tested on every OS in `pipe_security` and `listener`).

#![cfg(windows)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly by design"
)]
// Reading a pipe's descriptor back needs two Win32 calls no crate wraps; test code only.
#![allow(unsafe_code)]

mod common;

use std::num::NonZeroU8;

use codex_router_ipc::pipe_security::{current_user_sid, dacl_trustees};
use codex_router_ipc::{Endpoint, IpcError, bind, local_endpoint};
use common::socket_in;
use interprocess::os::windows::named_pipe::{DuplexPipeStream, PipeListenerOptions, pipe_mode};
use widestring::{U16CStr, U16CString};
use windows_sys::Win32::Foundation::LocalFree;
use windows_sys::Win32::Security::Authorization::{
    ConvertSecurityDescriptorToStringSecurityDescriptorW, GetNamedSecurityInfoW, SDDL_REVISION_1,
    SE_FILE_OBJECT,
};
use windows_sys::Win32::Security::{DACL_SECURITY_INFORMATION, OWNER_SECURITY_INFORMATION};

fn pipe_of(socket: &std::path::Path) -> String {
    match local_endpoint(socket) {
        Endpoint::Pipe(pipe) => pipe,
        other => panic!("expected a named pipe, got {other}"),
    }
}

/// The owner and DACL of the pipe `name`, as SDDL, asked of the OS. Pipes are named file
/// objects for this call (`SE_KERNEL_OBJECT` by name covers only events, mutexes and the like).
fn read_back_sddl(name: &str) -> String {
    let wide = U16CString::from_str(name).unwrap();
    let mut descriptor = std::ptr::null_mut();
    let info = OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
    // SAFETY: valid NUL-terminated name and out pointers; the descriptor is LocalAlloc'ed.
    let status = unsafe {
        GetNamedSecurityInfoW(
            wide.as_ptr(),
            SE_FILE_OBJECT,
            info,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &mut descriptor,
        )
    };
    assert_eq!(status, 0, "GetNamedSecurityInfoW({name}) failed: {status}");
    let mut text = std::ptr::null_mut();
    // SAFETY: a valid descriptor in, a valid out pointer.
    let ok = unsafe {
        ConvertSecurityDescriptorToStringSecurityDescriptorW(
            descriptor,
            SDDL_REVISION_1,
            info,
            &mut text,
            std::ptr::null_mut(),
        )
    };
    assert_ne!(ok, 0, "{}", std::io::Error::last_os_error());
    // SAFETY: NUL-terminated, copied before both buffers are freed once.
    let sddl = unsafe { U16CStr::from_ptr_str(text) }.to_string_lossy();
    unsafe {
        LocalFree(text.cast());
        LocalFree(descriptor);
    }
    sddl
}

#[tokio::test]
async fn the_pipe_admits_the_current_user_alone() {
    let dir = tempfile::tempdir().unwrap();
    let socket = socket_in(dir.path());
    let _listener = bind(&socket).unwrap();
    let sid = current_user_sid().unwrap();
    assert!(sid.starts_with("S-1-"), "{sid}");
    let sddl = read_back_sddl(&pipe_of(&socket));
    assert!(sddl.contains(&format!("O:{sid}")), "owner: {sddl}");
    assert!(sddl.contains("D:P"), "protected DACL: {sddl}");
    assert_eq!(dacl_trustees(&sddl), vec![sid], "{sddl}");
}

#[tokio::test]
async fn a_second_bind_is_already_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let socket = socket_in(dir.path());
    let _first = bind(&socket).unwrap();
    match bind(&socket) {
        Err(IpcError::AlreadyInUse { .. }) => {}
        other => panic!("expected AlreadyInUse, got {other:?}"),
    }
}

#[tokio::test]
async fn a_busy_pipe_is_a_live_daemon_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let socket = socket_in(dir.path());
    let pipe = pipe_of(&socket);
    // A server with a single instance, taken by a client: every further connect is busy.
    let server = PipeListenerOptions::new()
        .path(pipe.as_str())
        .instance_limit(NonZeroU8::new(1))
        .create_duplex::<pipe_mode::Bytes>()
        .unwrap();
    let _client = DuplexPipeStream::<pipe_mode::Bytes>::connect_by_path(pipe.as_str()).unwrap();
    // On the blocking pool: a probe that waited for a free instance would hang the test, not fail.
    let result = tokio::time::timeout(
        common::STEP,
        tokio::task::spawn_blocking(move || bind(&socket).map(drop)),
    )
    .await
    .expect("bind waited on the busy pipe")
    .unwrap();
    match result {
        Err(IpcError::AlreadyInUse { .. }) => {}
        other => panic!("expected AlreadyInUse, got {other:?}"),
    }
    drop(server);
}
