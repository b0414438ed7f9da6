#pragma once

#include "service/runtime/instance.h"

namespace Kiln::Runtime {

class VenvCache;

struct LocalRuntimeConfig
{
    QString python = QStringLiteral("python3"); // interpreter for code ETLs and venvs
    QString venvRoot;                           // shared venv cache
};

// The default runtime: every ETL instance is a local process group next to its target.
class LocalRuntime final : public Runtime
{
    Q_OBJECT
public:
    explicit LocalRuntime(LocalRuntimeConfig config, QObject *parent = nullptr);
    ~LocalRuntime() override;

    QString name() const override { return QStringLiteral("local"); }
    Result<Instance *> create(const InstanceSpec &spec, QObject *parent) override;

private:
    LocalRuntimeConfig m_config;
    VenvCache *m_venvs; // child
};

} // namespace Kiln::Runtime
