#include "shared/cli/global.h"

namespace etcdrestore::cli {

void AddGlobalFlags(FlagSet& f, GlobalOptions* o) {
  f.AddStringSlice("endpoints", 0, &o->endpoints, "gRPC endpoints");
  f.AddBool("debug", 0, &o->debug, "enable client-side debug logging");
  f.AddString("write-out", 'w', &o->write_out,
              "set the output format (fields, json, protobuf, simple, table)");
  f.AddBool("hex", 0, &o->hex, "print byte strings as hex encoded strings");
  f.AddDuration("dial-timeout", 0, &o->dial_timeout, "dial timeout for client connections");
  f.AddDuration("keepalive-time", 0, &o->keepalive_time, "keepalive time for client connections");
  f.AddDuration("keepalive-timeout", 0, &o->keepalive_timeout,
                "keepalive timeout for client connections");
  f.AddDuration("command-timeout", 0, &o->command_timeout,
                "timeout for short running command (excluding dial timeout)");
  f.AddBool("insecure-transport", 0, &o->insecure_transport,
            "disable transport security for client connections");
  f.AddBool("insecure-discovery", 0, &o->insecure_discovery,
            "accept insecure SRV records describing cluster endpoints");
  f.AddBool("insecure-skip-tls-verify", 0, &o->insecure_skip_tls_verify,
            "skip server certificate verification (CAUTION: this option should be enabled only "
            "for testing purposes)");
  f.AddString("cert", 0, &o->cert, "identify secure client using this TLS certificate file");
  f.AddString("key", 0, &o->key, "identify secure client using this TLS key file");
  f.AddString("cacert", 0, &o->cacert,
              "verify certificates of TLS-enabled secure servers using this CA bundle");
  f.AddString("user", 0, &o->user,
              "username[:password] for authentication (prompt if password is not supplied)");
  f.AddString("password", 0, &o->password,
              "password for authentication (if this option is used, --user option shouldn't "
              "include password)");
  f.AddString("discovery-srv", 'd', &o->discovery_srv,
              "domain name to query for SRV records describing cluster endpoints");
  f.AddString("discovery-srv-name", 0, &o->discovery_srv_name,
              "service name to query when using DNS discovery");
}

const std::vector<std::string>& GlobalFlagNames() {
  static const std::vector<std::string> kNames = [] {
    FlagSet f;
    GlobalOptions o;
    AddGlobalFlags(f, &o);
    std::vector<std::string> names;
    for (const Flag& flag : f.flags()) names.push_back(flag.name);
    return names;
  }();
  return kNames;
}

Result<std::vector<etcdclient::Config>> ClientConfigs(
    const GlobalOptions& o, const FlagSet& flags,
    const std::function<Result<std::string>()>& prompt_password) {
  // etcdctl checks cert, then key, then cacert (keyAndCertFromCmd).
  for (auto [name, value] : {std::pair{"cert", &o.cert}, std::pair{"key", &o.key},
                             std::pair{"cacert", &o.cacert}}) {
    if (value->empty() && flags.Changed(name)) {
      return Fail(ErrorCode::kInvalidArgument,
                  std::string("empty string is passed to --") + name + " option");
    }
  }
  if (!o.discovery_srv.empty()) {
    return Fail(ErrorCode::kUnsupported, "--discovery-srv is not supported by etcdctl-ext");
  }
  const bool tls_files = !o.cert.empty() || !o.key.empty() || !o.cacert.empty();
  etcdclient::TlsMaterial tls;
  if (tls_files) {
    ASSIGN_OR_RETURN(tls, etcdclient::LoadTlsFiles(o.cacert, o.cert, o.key));
  }
  std::string user, password;
  if (!o.user.empty()) {
    if (o.password.empty()) {
      size_t colon = o.user.find(':');
      if (colon == std::string::npos) {
        user = o.user;
        ASSIGN_OR_RETURN(password, prompt_password());
      } else {
        user = o.user.substr(0, colon);
        password = o.user.substr(colon + 1);
      }
    } else {
      user = o.user;
      password = o.password;
    }
  }
  std::vector<etcdclient::Config> out;
  for (const std::string& ep : o.endpoints) {
    etcdclient::Config c;
    c.endpoint = ep;
    c.use_tls = tls_files || !o.insecure_transport;
    c.tls = tls;
    c.insecure_skip_verify = o.insecure_skip_tls_verify;
    c.keepalive_time = o.keepalive_time;
    c.keepalive_timeout = o.keepalive_timeout;
    c.user = user;
    c.password = password;
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace etcdrestore::cli
