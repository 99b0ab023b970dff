#include "shared/k8sobj/types.h"

#include <array>
#include <cctype>

namespace etcdrestore::k8sobj {
namespace {

struct Builtin {
  const char* plural;
  const char* singular;
  const char* shorts;  // comma-separated
  const char* group;
  const char* storage;
};

// The API's resources that the API server keeps in etcd (Kubernetes 1.20+), with kubectl's
// short names. Storage paths differ from the plural for a few historical types.
constexpr std::array kBuiltins = {
    Builtin{"pods", "pod", "po", "", "pods"},
    Builtin{"services", "service", "svc", "", "services/specs"},
    Builtin{"endpoints", "endpoints", "ep", "", "services/endpoints"},
    Builtin{"configmaps", "configmap", "cm", "", "configmaps"},
    Builtin{"secrets", "secret", "", "", "secrets"},
    Builtin{"serviceaccounts", "serviceaccount", "sa", "", "serviceaccounts"},
    Builtin{"namespaces", "namespace", "ns", "", "namespaces"},
    Builtin{"nodes", "node", "no", "", "minions"},
    Builtin{"persistentvolumes", "persistentvolume", "pv", "", "persistentvolumes"},
    Builtin{"persistentvolumeclaims", "persistentvolumeclaim", "pvc", "", "persistentvolumeclaims"},
    Builtin{"events", "event", "ev", "", "events"},
    Builtin{"limitranges", "limitrange", "limits", "", "limitranges"},
    Builtin{"resourcequotas", "resourcequota", "quota", "", "resourcequotas"},
    Builtin{"replicationcontrollers", "replicationcontroller", "rc", "", "controllers"},
    Builtin{"podtemplates", "podtemplate", "", "", "podtemplates"},
    Builtin{"deployments", "deployment", "deploy", "apps", "deployments"},
    Builtin{"replicasets", "replicaset", "rs", "apps", "replicasets"},
    Builtin{"statefulsets", "statefulset", "sts", "apps", "statefulsets"},
    Builtin{"daemonsets", "daemonset", "ds", "apps", "daemonsets"},
    Builtin{"controllerrevisions", "controllerrevision", "", "apps", "controllerrevisions"},
    Builtin{"jobs", "job", "", "batch", "jobs"},
    Builtin{"cronjobs", "cronjob", "cj", "batch", "cronjobs"},
    Builtin{"horizontalpodautoscalers", "horizontalpodautoscaler", "hpa", "autoscaling", "horizontalpodautoscalers"},
    Builtin{"ingresses", "ingress", "ing", "networking.k8s.io", "ingress"},
    Builtin{"ingressclasses", "ingressclass", "", "networking.k8s.io", "ingressclasses"},
    Builtin{"networkpolicies", "networkpolicy", "netpol", "networking.k8s.io", "networkpolicies"},
    Builtin{"poddisruptionbudgets", "poddisruptionbudget", "pdb", "policy", "poddisruptionbudgets"},
    Builtin{"podsecuritypolicies", "podsecuritypolicy", "psp", "policy", "podsecuritypolicy"},
    Builtin{"roles", "role", "", "rbac.authorization.k8s.io", "roles"},
    Builtin{"rolebindings", "rolebinding", "", "rbac.authorization.k8s.io", "rolebindings"},
    Builtin{"clusterroles", "clusterrole", "", "rbac.authorization.k8s.io", "clusterroles"},
    Builtin{"clusterrolebindings", "clusterrolebinding", "", "rbac.authorization.k8s.io", "clusterrolebindings"},
    Builtin{"storageclasses", "storageclass", "sc", "storage.k8s.io", "storageclasses"},
    Builtin{"volumeattachments", "volumeattachment", "", "storage.k8s.io", "volumeattachments"},
    Builtin{"csidrivers", "csidriver", "", "storage.k8s.io", "csidrivers"},
    Builtin{"csinodes", "csinode", "", "storage.k8s.io", "csinodes"},
    Builtin{"leases", "lease", "", "coordination.k8s.io", "leases"},
    Builtin{"endpointslices", "endpointslice", "", "discovery.k8s.io", "endpointslices"},
    Builtin{"priorityclasses", "priorityclass", "pc", "scheduling.k8s.io", "priorityclasses"},
    Builtin{"runtimeclasses", "runtimeclass", "", "node.k8s.io", "runtimeclasses"},
    Builtin{"certificatesigningrequests", "certificatesigningrequest", "csr", "certificates.k8s.io",
            "certificatesigningrequests"},
    Builtin{"mutatingwebhookconfigurations", "mutatingwebhookconfiguration", "", "admissionregistration.k8s.io",
            "mutatingwebhookconfigurations"},
    Builtin{"validatingwebhookconfigurations", "validatingwebhookconfiguration", "", "admissionregistration.k8s.io",
            "validatingwebhookconfigurations"},
    Builtin{"flowschemas", "flowschema", "", "flowcontrol.apiserver.k8s.io", "flowschemas"},
    Builtin{"prioritylevelconfigurations", "prioritylevelconfiguration", "", "flowcontrol.apiserver.k8s.io",
            "prioritylevelconfigurations"},
    Builtin{"customresourcedefinitions", "customresourcedefinition", "crd,crds", "apiextensions.k8s.io",
            "apiextensions.k8s.io/customresourcedefinitions"},
    Builtin{"apiservices", "apiservice", "", "apiregistration.k8s.io", "apiregistration.k8s.io/apiservices"},
};

std::string Lower(std::string_view s) {
  std::string out;
  for (char c : s) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

bool InList(std::string_view list, std::string_view name) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    if (list.substr(0, comma) == name) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

bool ValidName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')) return false;
  }
  return true;
}

}  // namespace

bool ResourceType::Matches(const ObjectKeyView& k) const {
  if (builtin) {
    // Stored as "<group>/<plural>" (CRDs, API services) or a plain path.
    if (k.group.empty()) return k.resource == storage;
    const std::string_view s = storage;
    return s.size() == k.group.size() + 1 + k.resource.size() && s.starts_with(k.group) && s[k.group.size()] == '/' &&
           s.ends_with(k.resource);
  }
  return k.resource == plural && !k.group.empty() && (group.empty() || k.group == group);
}

ResourceType TypeOfKey(const ObjectKey& k) {
  const std::string storage = k.group.empty() ? k.resource : k.group + "/" + k.resource;
  for (const Builtin& b : kBuiltins) {
    if (storage == b.storage) return ResourceType{b.plural, b.group, b.storage, true};
  }
  if (!k.group.empty()) return ResourceType{k.resource, k.group, "", false};
  return ResourceType{k.resource, "", k.resource, true};  // a built-in this table does not know
}

std::string CollectionPath(const ResourceType& t, std::string_view api_version, std::string_view ns) {
  std::string path = api_version.find('/') == std::string_view::npos ? "/api/" : "/apis/";
  path += api_version;
  if (!ns.empty()) path += "/namespaces/" + std::string(ns);
  return path + "/" + t.plural;
}

std::optional<ResourceType> BuiltinForKind(std::string_view kind) {
  const std::string k = Lower(kind);
  for (const Builtin& b : kBuiltins) {
    if (k == b.singular) return ResourceType{b.plural, b.group, b.storage, true};
  }
  return std::nullopt;
}

Result<ResourceType> ResolveType(std::string_view arg) {
  const std::string name = Lower(arg);
  if (!ValidName(name)) {
    return Fail(ErrorCode::kInvalidArgument, "the server doesn't have a resource type \"" + std::string(arg) + "\"");
  }
  const size_t dot = name.find('.');
  const std::string base = name.substr(0, dot);
  const std::string group = dot == std::string::npos ? std::string() : name.substr(dot + 1);
  for (const Builtin& b : kBuiltins) {
    const bool named = base == b.plural || base == b.singular || InList(b.shorts, base);
    if (named && (dot == std::string::npos || group == b.group)) {
      return ResourceType{b.plural, b.group, b.storage, true};
    }
  }
  return ResourceType{base, group, "", false};
}

}  // namespace etcdrestore::k8sobj
