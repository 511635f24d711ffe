// path_resolve.h — turning the paths syscalls receive into absolute paths.
//
// open("x"), openat(dirfd, "../y"), chdir("..") name files relative to the
// thread's cwd or a directory fd; fd.name and proc.cwd must be absolute and
// canonical so rules can compare them with "startswith /etc/". This is pure
// lexical normalisation, as Falco does: symlinks are not followed (the
// collector cannot see the traced process's mount namespace anyway).
#pragma once

#include <string>
#include <string_view>

namespace kestrel {

// Collapses "//", "." and ".." in `path`. An absolute path stays absolute
// and ".." never climbs above "/" ("/../a" -> "/a"); a relative path keeps
// the ".." it cannot resolve ("../a" stays "../a"). A trailing "/" is
// dropped except for "/" itself; "" stays "" and "a/.." becomes ".".
std::string normalize_path(std::string_view path);

// `path` resolved against the directory `base`: normalize(path) if path is
// absolute, else normalize(base + "/" + path). An empty `base` (unknown
// cwd or dirfd) leaves a relative path relative. An empty `path` resolves
// to `base` (as for AT_EMPTY_PATH).
std::string resolve_path(std::string_view base, std::string_view path);

}  // namespace kestrel
