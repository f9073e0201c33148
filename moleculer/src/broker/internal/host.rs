//! The machine and the user, in the words of Node's `os` module: `os.type()`, `os.arch()`,
//! `os.platform()`, `os.userInfo()`, `os.uptime()` and `os.cpus().length`.

use serde_json::{Value, json};

/// `os.type()`: the kernel's name as `uname` gives it (`Linux`, `Darwin`, `Windows_NT`).
pub(super) fn os_type() -> &'static str {
    node_os_type(std::env::consts::OS)
}

/// `os.arch()`: Node's CPU architecture names (`x64`, `arm64`, `ia32`).
pub(super) fn arch() -> &'static str {
    node_arch(std::env::consts::ARCH, cfg!(target_endian = "little"))
}

/// `os.platform()`: Node's platform names (`linux`, `darwin`, `win32`).
pub(super) fn platform() -> &'static str {
    node_platform(std::env::consts::OS)
}

fn node_os_type(os: &'static str) -> &'static str {
    match os {
        "linux" | "android" => "Linux",
        "macos" | "ios" => "Darwin",
        "windows" => "Windows_NT",
        "freebsd" => "FreeBSD",
        "openbsd" => "OpenBSD",
        "netbsd" => "NetBSD",
        "dragonfly" => "DragonFly",
        "solaris" | "illumos" => "SunOS",
        "aix" => "AIX",
        other => other,
    }
}

fn node_arch(arch: &'static str, little_endian: bool) -> &'static str {
    match arch {
        "x86_64" => "x64",
        "x86" => "ia32",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64",
        "powerpc" => "ppc",
        "loongarch64" => "loong64",
        "mips" if little_endian => "mipsel",
        "mips64" if little_endian => "mips64el",
        other => other,
    }
}

fn node_platform(os: &'static str) -> &'static str {
    match os {
        "macos" => "darwin",
        "windows" => "win32",
        "solaris" | "illumos" => "sunos",
        other => other,
    }
}

/// `os.uptime()`: seconds since boot, with the hundredths `/proc/uptime` has where it
/// exists.
pub(super) fn uptime() -> f64 {
    std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| sysinfo::System::uptime() as f64)
}

/// `os.cpus().length`: the logical CPUs of the machine (not the ones this process may use).
pub(super) fn cpu_count() -> usize {
    use sysinfo::{CpuRefreshKind, RefreshKind, System};
    let sys =
        System::new_with_specifics(RefreshKind::nothing().with_cpu(CpuRefreshKind::nothing()));
    sys.cpus().len()
}

/// `os.userInfo()` of the user this process runs as: `{uid, gid, username, homedir, shell}`,
/// or `{}` when the user cannot be found, as Node answers when `userInfo` throws.
///
/// Node asks the system's user database (`getpwuid_r`); this reads `/etc/passwd`, then the
/// `USER`, `HOME` and `SHELL` variables for what it lacks.
#[cfg(unix)]
pub(super) fn user(ids: Option<(u32, u32)>) -> Value {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let Some((uid, gid)) = ids else {
        return json!({});
    };
    let entry = std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| passwd_entry(&passwd, uid));
    let (username, homedir, shell) = match entry {
        Some(entry) => (Some(entry.0), Some(entry.1), Some(entry.2)),
        None => (
            env("USER").or_else(|| env("LOGNAME")),
            env("HOME"),
            env("SHELL"),
        ),
    };
    let Some(username) = username else {
        return json!({});
    };
    json!({
        "uid": uid,
        "gid": gid,
        "username": username,
        "homedir": homedir.unwrap_or_default(),
        "shell": shell,
    })
}

/// On Windows Node has no uid or gid (`-1`) and no shell (`null`).
#[cfg(not(unix))]
pub(super) fn user(_ids: Option<(u32, u32)>) -> Value {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let Some(username) = env("USERNAME") else {
        return json!({});
    };
    json!({
        "uid": -1,
        "gid": -1,
        "username": username,
        "homedir": env("USERPROFILE").unwrap_or_default(),
        "shell": Value::Null,
    })
}

/// `(name, home, shell)` of `uid` in a `passwd` file (`name:x:uid:gid:gecos:home:shell`).
#[cfg_attr(not(unix), allow(dead_code))]
fn passwd_entry(passwd: &str, uid: u32) -> Option<(String, String, String)> {
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        let [name, _, id, _, _, home, shell] = fields.as_slice() else {
            return None;
        };
        (id.parse() == Ok(uid))
            .then(|| ((*name).to_owned(), (*home).to_owned(), (*shell).to_owned()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_lines() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n# comment\nann:x:1000:1000:Ann,,,:/home/ann:/bin/zsh\n";
        assert_eq!(
            passwd_entry(passwd, 1000),
            Some(("ann".into(), "/home/ann".into(), "/bin/zsh".into()))
        );
        assert_eq!(passwd_entry(passwd, 0).map(|e| e.0), Some("root".into()));
        assert_eq!(passwd_entry(passwd, 7), None);
    }

    #[test]
    fn node_names() {
        assert_eq!(node_arch("x86_64", true), "x64");
        assert_eq!(node_arch("aarch64", true), "arm64");
        assert_eq!(node_arch("x86", true), "ia32");
        assert_eq!(node_arch("mips", false), "mips");
        assert_eq!(node_arch("riscv64", true), "riscv64");
        assert_eq!(node_platform("macos"), "darwin");
        assert_eq!(node_platform("windows"), "win32");
        assert_eq!(node_platform("linux"), "linux");
        assert_eq!(node_os_type("linux"), "Linux");
        assert_eq!(node_os_type("macos"), "Darwin");
        assert_eq!(node_os_type("windows"), "Windows_NT");
    }
}
