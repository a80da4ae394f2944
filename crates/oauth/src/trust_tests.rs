use super::*;

/// ISRG Root X2, a public root certificate (as quoted in rustls-native-certs' docs).
const ISRG_ROOT_X2: &str = "-----BEGIN CERTIFICATE-----
MIICGzCCAaGgAwIBAgIQQdKd0XLq7qeAwSxs6S+HUjAKBggqhkjOPQQDAzBPMQsw
CQYDVQQGEwJVUzEpMCcGA1UEChMgSW50ZXJuZXQgU2VjdXJpdHkgUmVzZWFyY2gg
R3JvdXAxFTATBgNVBAMTDElTUkcgUm9vdCBYMjAeFw0yMDA5MDQwMDAwMDBaFw00
MDA5MTcxNjAwMDBaME8xCzAJBgNVBAYTAlVTMSkwJwYDVQQKEyBJbnRlcm5ldCBT
ZWN1cml0eSBSZXNlYXJjaCBHcm91cDEVMBMGA1UEAxMMSVNSRyBSb290IFgyMHYw
EAYHKoZIzj0CAQYFK4EEACIDYgAEzZvVn4CDCuwJSvMWSj5cz3es3mcFDR0HttwW
+1qLFNvicWDEukWVEYmO6gbf9yoWHKS5xcUy4APgHoIYOIvXRdgKam7mAHf7AlF9
ItgKbppbd9/w+kHsOdx1ymgHDB/qo0IwQDAOBgNVHQ8BAf8EBAMCAQYwDwYDVR0T
AQH/BAUwAwEB/zAdBgNVHQ4EFgQUfEKWrt5LSDv6kviejM9ti6lyN5UwCgYIKoZI
zj0EAwMDaAAwZQIwe3lORlCEwkSHRhtFcP9Ymd70/aTSVaYgLXTWNLxBo1BfASdW
tL4ndQavEi51mI38AjEAi/V3bNTIZargCyzuFJ0nN6T5U6VR5CmD1/iQMVtCnwr1
/q4AaOeMSQ+2b1tbFfLn
-----END CERTIFICATE-----
";

/// A well-formed PEM block whose content is not a certificate rustls accepts.
const NOT_A_CERT: &str = "-----BEGIN CERTIFICATE-----
aGVsbG8gd29ybGQ=
-----END CERTIFICATE-----
";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn nothing_is_added_when_the_environment_names_no_location() {
    let dir = tempfile::tempdir().unwrap();
    let os = write(dir.path(), "os.pem", ISRG_ROOT_X2);
    assert_eq!(bundle_to_add(None, false, [os.as_path()]), None);
}

#[test]
fn os_bundle_is_added_next_to_a_corporate_ca_file() {
    let dir = tempfile::tempdir().unwrap();
    let os = write(dir.path(), "os.pem", ISRG_ROOT_X2);
    let corp = write(dir.path(), "corp.pem", ISRG_ROOT_X2);
    let missing = dir.path().join("missing.pem");
    assert_eq!(
        bundle_to_add(Some(&corp), false, [missing.as_path(), os.as_path()]),
        Some(os.clone())
    );
    // SSL_CERT_DIR alone also displaces the OS store.
    assert_eq!(bundle_to_add(None, true, [os.as_path()]), Some(os));
}

#[test]
fn os_bundle_is_not_loaded_twice_when_the_env_file_is_that_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let os = write(dir.path(), "os.pem", ISRG_ROOT_X2);
    let via_dotdot = dir.path().join(".").join("os.pem");
    assert_eq!(bundle_to_add(Some(&via_dotdot), false, [os.as_path()]), None);
}

#[test]
fn no_os_bundle_found_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let corp = write(dir.path(), "corp.pem", ISRG_ROOT_X2);
    let missing = dir.path().join("missing.pem");
    assert_eq!(bundle_to_add(Some(&corp), false, [missing.as_path()]), None);
}

#[test]
fn bundles_keep_only_certificates_rustls_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{ISRG_ROOT_X2}{NOT_A_CERT}# a comment\n{ISRG_ROOT_X2}");
    let path = write(dir.path(), "mixed.pem", &text);
    let certs = load_bundle(&path);
    assert_eq!(certs.len(), 2);
    // What we hand over never makes the client fail to build.
    let mut builder = crate::client_builder(std::time::Duration::from_secs(1));
    for cert in certs {
        builder = builder.add_root_certificate(cert);
    }
    assert!(builder.build().is_ok());
}

#[test]
fn unreadable_bundle_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    assert!(load_bundle(&dir.path().join("missing.pem")).is_empty());
}
