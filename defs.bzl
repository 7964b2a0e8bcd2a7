"""Macros for crh's repeated test shapes. Load with load("//:defs.bzl", "real_runtime_test")."""

load("@rules_cc//cc:defs.bzl", "cc_test")

def real_runtime_test(name, size = "large", tags = [], **kwargs):
    """A cc_test against the real runtimes, CRIU and CNI plugins of the toolchain manifest.

    Such a test needs root, namespaces, cgroups, /run/netns and /opt/crh (ci/setup.sh), so it
    runs outside Bazel's sandbox ("local") and alone ("exclusive"): the suites share the host's
    runtimes, network and cgroups.

    Args:
      name: the test's name.
      size: "large" unless the test says otherwise (cni_network_test is "medium").
      tags: more tags, added to "exclusive" and "local".
      **kwargs: the rest of cc_test's attributes (srcs, deps, data, ...).
    """
    cc_test(
        name = name,
        size = size,
        tags = ["exclusive", "local"] + tags,
        **kwargs
    )

_PROPERTY_DEPS = [
    "//property_tests:property_main",
    "@system//:gtest",
    "@system//:rapidcheck",
]

def property_test(name, deps = [], **kwargs):
    """A rapidcheck suite under property_tests' main() (property_tests/property_main.h).

    That main() fixes the seed and the case budget (CRH_PROPERTY_CASES, RC_PARAMS), prints the
    seed before anything runs, keeps the fakes' logs quiet and writes a shrunk failure as a
    scenario file. The macro adds it, gtest and rapidcheck to `deps`; do not list them again.

    Args:
      name: the test's name.
      deps: the test's own dependencies.
      **kwargs: the rest of cc_test's attributes (srcs, size, shard_count, ...).
    """
    cc_test(
        name = name,
        deps = _PROPERTY_DEPS + deps,
        **kwargs
    )
