#pragma once

#include "service/runtime/imagecatalogue.h"
#include "service/runtime/instance.h"
#include "service/runtime/sandbox.h"

namespace Kiln::Runtime {

class ContainerEngine;
class VenvCache;

struct LocalRuntimeConfig
{
    QString python = QStringLiteral("python3"); // interpreter for code ETLs and venvs
    QString venvRoot; // shared venv cache
    QString containers = QStringLiteral("auto"); // off, auto, docker, podman
    QString imageRuntime = QStringLiteral("local"); // local, container: where images run first
    QList<ImageRule> userImages; // etl.images, ahead of the stock catalogue
    SandboxConfig sandbox; // how local processes are confined
};

// The default runtime: every ETL instance is a local process group next to its target, or,
// for an image with no local way (or when the config or the ETL asks), a container of a
// docker/podman engine on this machine.
class LocalRuntime final : public Runtime
{
    Q_OBJECT
public:
    explicit LocalRuntime(LocalRuntimeConfig config, QObject *parent = nullptr);
    ~LocalRuntime() override;

    QString name() const override { return QStringLiteral("local"); }
    Result<Instance *> create(const InstanceSpec &spec, QObject *parent) override;

    const ImageCatalogue &catalogue() const { return m_catalogue; }
    ContainerEngine *engine() const { return m_engine; }

private:
    Result<Instance *> createContainer(const InstanceSpec &spec, QObject *parent);

    LocalRuntimeConfig m_config;
    ImageCatalogue m_catalogue;
    Sandbox m_sandbox;
    VenvCache *m_venvs; // child
    ContainerEngine *m_engine; // child
};

} // namespace Kiln::Runtime
