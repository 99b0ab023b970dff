// shared/base/version.h
//
// The project's version, from CMakeLists.txt's project(VERSION) (the one place it is
// written; scripts/release.sh and the krew manifest read it from there too).
#ifndef ETCDRESTORE_SHARED_BASE_VERSION_H_
#define ETCDRESTORE_SHARED_BASE_VERSION_H_

namespace etcdrestore {

#ifndef ETCDRESTORE_VERSION
#error "ETCDRESTORE_VERSION is defined by the build (CMakeLists.txt)"
#endif
inline constexpr const char* kVersion = ETCDRESTORE_VERSION;

}  // namespace etcdrestore

#endif  // ETCDRESTORE_SHARED_BASE_VERSION_H_
