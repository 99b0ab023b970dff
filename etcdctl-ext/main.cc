#include <cstdio>
int main() { std::puts("etcdctl-ext: under construction"); return 1; }
