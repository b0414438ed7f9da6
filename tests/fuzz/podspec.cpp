// Fuzz target: the pod-spec YAML validator (shared/etl/podspec) and the Kubernetes quantity and
// AIS boolean parsers it uses.
#include "shared/etl/podspec.h"
#include "tests/fuzz/fuzzjson.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray yaml = Kiln::Fuzz::bytes(data, size);
    const auto issues = Kiln::Etl::validatePodSpec(yaml);
    const auto spec = Kiln::Etl::parsePodSpec(yaml);
    if (spec && !issues.isEmpty())
        std::abort(); // parse and validate must agree
    if (spec) {
        (void)spec->annotatedCommType();
        (void)spec->annotatedWaitTimeout();
        (void)spec->annotatedDirectPut();
    }
    const QString text = QString::fromUtf8(yaml.left(64));
    (void)Kiln::Etl::parseAisBool(text);
    (void)Kiln::Etl::parseCpuQuantity(text);
    (void)Kiln::Etl::parseMemoryQuantity(text);
    return 0;
}
