//! The machine, the user and this process, in the words of Node's `os` and `process`:
//! `os.type()`, `os.arch()`, `os.platform()`, `os.userInfo()`, `os.uptime()`,
//! `os.cpus().length`, the order of `os.networkInterfaces()` and `process.argv`. `$node.health`
//! and the process metrics both read them here.

use serde_json::{Value, json};

/// `os.type()`: the kernel's name as `uname` gives it (`Linux`, `Darwin`, `Windows_NT`).
pub(crate) fn os_type() -> &'static str {
    node_os_type(std::env::consts::OS)
}

/// `os.arch()`: Node's CPU architecture names (`x64`, `arm64`, `ia32`).
pub(crate) fn arch() -> &'static str {
    node_arch(std::env::consts::ARCH, cfg!(target_endian = "little"))
}

/// `os.platform()`: Node's platform names (`linux`, `darwin`, `win32`).
pub(crate) fn platform() -> &'static str {
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
pub(crate) fn uptime() -> f64 {
    std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| sysinfo::System::uptime() as f64)
}

/// `os.cpus().length`: the logical CPUs of the machine (not the ones this process may use).
pub(crate) fn cpu_count() -> usize {
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
pub(crate) fn user(ids: Option<(u32, u32)>) -> Value {
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
pub(crate) fn user(_ids: Option<(u32, u32)>) -> Value {
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

/// The effective uid and gid, as `os.userInfo()` reports them.
#[cfg(unix)]
pub(crate) fn user_ids(process: &sysinfo::Process) -> Option<(u32, u32)> {
    let uid = process.effective_user_id().or(process.user_id())?;
    let gid = process.effective_group_id().or(process.group_id())?;
    Some((**uid, *gid))
}

/// Windows has no uid or gid.
#[cfg(not(unix))]
pub(crate) fn user_ids(_process: &sysinfo::Process) -> Option<(u32, u32)> {
    None
}

/// `process.argv`: the executable's absolute path, then the arguments (lossily UTF-8).
pub(crate) fn argv() -> Vec<String> {
    let mut args: Vec<String> = std::env::args_os()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    if let (Some(first), Ok(exe)) = (args.first_mut(), std::env::current_exe()) {
        *first = exe.to_string_lossy().into_owned();
    }
    args
}

/// The kernel's index of an interface (the order Node lists them in), where the system
/// tells it; interfaces without one sort last, by name.
pub(crate) fn interface_index(name: &str) -> u64 {
    std::fs::read_to_string(format!("/sys/class/net/{name}/ifindex"))
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(u64::MAX)
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
