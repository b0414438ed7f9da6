// Fuzz target: ETL names (shared/etl/etlname) from untrusted UTF-8, as routes read them.
// A name parse accepts must break no rule and give a non-empty Kubernetes name.
#include "shared/etl/etlname.h"
#include "tests/fuzz/fuzzjson.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString text = QString::fromUtf8(Kiln::Fuzz::bytes(data, size));
    const auto name = Kiln::Etl::EtlName::parse(text);
    (void)Kiln::Etl::EtlName::aisRuleError(text);
    const QString broken = Kiln::Etl::EtlName::brokenRule(text);
    if (name && (!broken.isEmpty() || name->k8sName().isEmpty()))
        std::abort();
    return 0;
}
