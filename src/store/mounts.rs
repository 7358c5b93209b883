//! Network shares: SQLite's locking is not reliable on network file systems, so a
//! workspace there is opened with a warning (not refused: one person on one share is
//! fine, and a refusal would lock people out of files they have always used).
//!
//! The file system of a path is the one mounted at the longest mount point that is a
//! prefix of its canonical path, read from `/proc/self/mountinfo` (Linux; elsewhere
//! nothing is detected).

use std::path::{Path, PathBuf};

/// File system types whose locking SQLite cannot rely on.
const NETWORK_TYPES: &[&str] = &["nfs", "nfs4", "cifs", "smb3", "smbfs", "sshfs", "fuse.sshfs", "9p", "afs"];

/// The network file system type (`nfs4`, `cifs`, …) the file at `path` lives on, if any.
pub fn network_filesystem(path: &Path) -> Option<String> {
    let canonical = std::fs::canonicalize(path).ok()?;
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    filesystem_of(&mountinfo, &canonical).filter(|ty| is_network(ty))
}

/// The one-line warning for a workspace on a network share, or `None` when it is not on one.
pub fn network_share_warning(path: &Path) -> Option<String> {
    network_filesystem(path).map(|ty| {
        format!(
            "{} is on a network share ({ty}): SQLite's locking is not reliable there, so only one person at a time should open it",
            path.display()
        )
    })
}

fn is_network(ty: &str) -> bool {
    NETWORK_TYPES.contains(&ty)
}

/// The file system type of the mount holding `path` (canonical) according to `mountinfo`
/// (the text of `/proc/self/mountinfo`): the mount with the longest mount point that is
/// `path` or one of its folders; the last such line wins (a later mount covers an earlier
/// one at the same place).
pub(crate) fn filesystem_of(mountinfo: &str, path: &Path) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for line in mountinfo.lines() {
        let Some((mount_point, ty)) = parse_line(line) else { continue };
        if !path.starts_with(&mount_point) {
            continue;
        }
        let depth = mount_point.components().count();
        if best.as_ref().is_none_or(|(d, _)| depth >= *d) {
            best = Some((depth, ty));
        }
    }
    best.map(|(_, ty)| ty)
}

/// The mount point (field 5) and file system type (the first field after the `-`
/// separator) of one mountinfo line.
fn parse_line(line: &str) -> Option<(PathBuf, String)> {
    let fields: Vec<&str> = line.split(' ').collect();
    let mount_point = fields.get(4)?;
    let separator = fields.iter().position(|f| *f == "-")?;
    let ty = fields.get(separator + 1)?;
    Some((PathBuf::from(unescape(mount_point)), unescape(ty)))
}

/// Undoes mountinfo's octal escapes (`\040` for a space, `\011` tab, `\012` newline,
/// `\134` backslash).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal =
            bytes.get(i + 1..i + 4).filter(|d| bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)));
        if let Some(digits) = octal {
            let value = digits.iter().fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
            out.push(u8::try_from(value).unwrap_or(b'?'));
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 252:0 / / rw,relatime - ext4 /dev/vda rw
40 27 0:40 / /home/ann/Shared\\040Drive rw,relatime shared:5 - cifs //server/share rw,vers=3.0
41 27 0:41 / /mnt/nfs rw,relatime master:3 - nfs4 server:/export rw
42 41 0:42 / /mnt/nfs/local rw - ext4 /dev/vdb rw
43 27 0:43 / /mnt/ssh rw,nosuid - fuse.sshfs ann@host:/ rw
44 27 0:44 / /mnt/nfs2 rw - nfs server:/x rw
45 44 0:45 / /mnt/nfs2 rw - tmpfs tmpfs rw
";

    fn check(path: &str, expected: Option<&str>) {
        assert_eq!(filesystem_of(MOUNTINFO, Path::new(path)).as_deref(), expected, "{path}");
    }

    #[test]
    fn the_longest_mount_point_decides_and_escapes_are_read() {
        check("/home/ann/work.sqlite", Some("ext4"));
        check("/home/ann/Shared Drive/work.sqlite", Some("cifs"));
        check("/home/ann/Shared Drive", Some("cifs"));
        // A prefix of a name is not a folder of it.
        check("/home/ann/Shared Drive2/work.sqlite", Some("ext4"));
        check("/mnt/nfs/team/work.sqlite", Some("nfs4"));
        check("/mnt/nfs/local/work.sqlite", Some("ext4"));
        check("/mnt/ssh/work.sqlite", Some("fuse.sshfs"));
        // Mounted over: the later line wins.
        check("/mnt/nfs2/work.sqlite", Some("tmpfs"));
        check("/proc/self", Some("proc"));
    }

    #[test]
    fn network_types_are_recognised() {
        for ty in ["nfs", "nfs4", "cifs", "smb3", "smbfs", "sshfs", "fuse.sshfs", "9p", "afs"] {
            assert!(is_network(ty), "{ty}");
        }
        for ty in ["ext4", "tmpfs", "btrfs", "fuse.gvfsd-fuse", "overlay"] {
            assert!(!is_network(ty), "{ty}");
        }
    }

    #[test]
    fn escapes_and_broken_lines() {
        assert_eq!(unescape("a\\040b\\011c\\134d"), "a b\tc\\d");
        assert_eq!(unescape("trailing\\04"), "trailing\\04");
        assert_eq!(unescape("\\777x"), "?x");
        assert_eq!(
            filesystem_of("garbage\n\n27 1 252:0 / / rw - ext4 /dev/vda rw", Path::new("/x")).as_deref(),
            Some("ext4")
        );
    }
}
