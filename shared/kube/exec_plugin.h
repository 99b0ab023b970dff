// shared/kube/exec_plugin.h
//
// Runs a kubeconfig exec credential plugin (client.authentication.k8s.io/v1 and v1beta1,
// the kind EKS/GKE/AKS kubeconfigs use) the way client-go does:
//   - the command gets the current environment plus the kubeconfig's env entries and
//     KUBERNETES_EXEC_INFO = {"apiVersion":..,"kind":"ExecCredential","spec":{"interactive":false
//     [,"cluster":{"server":..,"tls-server-name":..,"insecure-skip-tls-verify":..,
//     "certificate-authority-data":..}]}} (cluster only with provideClusterInfo);
//   - stdin is /dev/null (never interactive), stderr goes to our stderr (the plugin's own
//     messages reach the user), stdout must be one ExecCredential JSON object with the same
//     apiVersion and status.token or status.clientCertificateData + clientKeyData.
// Errors read like client-go's ("exec: executable X not found", "exec: executable X failed
// with exit code N", "exec plugin is configured to use API version A, plugin returned
// version B") and never include the plugin's stdout (it holds the credential).
#ifndef ETCDRESTORE_SHARED_KUBE_EXEC_PLUGIN_H_
#define ETCDRESTORE_SHARED_KUBE_EXEC_PLUGIN_H_

#include <string>

#include "shared/base/error.h"
#include "shared/kube/kubeconfig.h"

namespace etcdrestore::kube {

struct ExecCredential {
  std::string token;
  std::string cert_pem;
  std::string key_pem;
  std::string expiration;  // status.expirationTimestamp as given (RFC 3339), may be empty
};

// `cluster` supplies server/CA for provideClusterInfo. kPermissionDenied on a plugin
// failure (the user cannot authenticate), kInvalidArgument on bad plugin output.
Result<ExecCredential> RunExecPlugin(const ExecConfig& exec, const RestConfig& cluster);

}  // namespace etcdrestore::kube

#endif  // ETCDRESTORE_SHARED_KUBE_EXEC_PLUGIN_H_
