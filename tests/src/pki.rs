//! Certificates for the TLS tests, made with `openssl` in a fresh folder: a CA, and
//! certificates it signs.

use std::path::{Path, PathBuf};

/// A CA in its own folder (`ca.pem`, `ca-key.pem`), and the certificates issued there.
#[derive(Debug)]
pub struct Pki {
    dir: PathBuf,
}

/// Whether `openssl` can run. When it cannot, a test that needs it prints why and returns,
/// unless `MOLECULER_REQUIRE_BROKERS=1` (CI) makes that a failure.
pub fn openssl_available() -> bool {
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok()
    {
        return true;
    }
    let required = std::env::var("MOLECULER_REQUIRE_BROKERS").is_ok_and(|v| v == "1");
    assert!(!required, "openssl is not installed");
    println!("skipped: openssl is not installed");
    false
}

/// Options for an EC P-256 key.
const EC_KEY: [&str; 5] = [
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
];

impl Pki {
    /// A new CA named `name`, in a folder of its own under the temporary directory.
    pub fn new(name: &str) -> Pki {
        let dir = std::env::temp_dir().join(crate::unique_namespace(name));
        std::fs::create_dir_all(&dir).expect("a folder for the certificates");
        let subject = format!("/CN={name}-ca");
        openssl(
            &dir,
            &[
                &["req", "-x509"][..],
                &EC_KEY,
                &["-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2"],
                &["-subj", &subject],
            ]
            .concat(),
        );
        Pki { dir }
    }

    /// Issues `<name>.pem` and `<name>-key.pem`, valid for `san` (`"IP:127.0.0.1"`, …) and
    /// the extended key usages `usage` (`"serverAuth"`, `"serverAuth,clientAuth"`, …).
    pub fn issue(&self, name: &str, san: &str, usage: &str) {
        let (key, csr, pem, ext) = (
            format!("{name}-key.pem"),
            format!("{name}.csr"),
            format!("{name}.pem"),
            format!("{name}.ext"),
        );
        let subject = format!("/CN={name}");
        openssl(
            &self.dir,
            &[
                &["req"][..],
                &EC_KEY,
                &["-keyout", &key, "-out", &csr, "-subj", &subject],
            ]
            .concat(),
        );
        std::fs::write(
            self.dir.join(&ext),
            format!("subjectAltName={san}\nextendedKeyUsage={usage}\n"),
        )
        .expect("the extensions file");
        openssl(
            &self.dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca-key.pem",
                "-CAcreateserial",
                "-out",
                &pem,
                "-days",
                "2",
                "-extfile",
                &ext,
            ],
        );
    }

    /// The path of `file` in the folder, as a string for options.
    pub fn path(&self, file: &str) -> String {
        self.dir.join(file).display().to_string()
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// Runs `openssl` with `args` in `dir`.
fn openssl(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl {args:?}");
}
