#pragma once

#include "shared/core/result.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace Kiln::Runtime {

// One way to run an image without Kubernetes: a stock image served by kiln_image_server.py
// (implementation set), or a user's mapping from kilnd's config to a local command.
struct ImageRule
{
    QString pattern; // image name or glob ("team/*"); without a tag it matches any tag
    QString origin; // "stock" or "config"
    QString implementation; // stock: KILN_IMAGE_IMPL of kiln_image_server.py
    QStringList programs; // stock: commands a spec may name (basename globs)
    QStringList command; // config: the local command, with $(PORT)-style expansion
    QString description;

    bool matches(const QString &image) const;
    // True when this stock image can stand in for the spec's command (empty: the entrypoint).
    bool acceptsCommand(const QStringList &command) const;
};

// The image name without registry defaults: "docker.io/library/python:3" -> "python:3",
// "aistorage/transformer_md5" -> "aistorage/transformer_md5:latest".
QString normalizeImage(const QString &image);

// The images a target can run locally: user mappings (first, so a team can override a stock
// image) and the stock catalogue embedded at :/kiln/images/catalogue.json. A value; built once
// per runtime, read on the target's main thread.
class ImageCatalogue final
{
public:
    // The embedded stock catalogue.
    static Result<ImageCatalogue> stock();
    static Result<ImageCatalogue> fromJson(const QByteArray &json);

    void prependRules(const QList<ImageRule> &rules);
    const ImageRule *find(const QString &image) const;
    const QList<ImageRule> &rules() const { return m_rules; }

private:
    QList<ImageRule> m_rules;
};

// How many worker processes a uvicorn/gunicorn command asks for ("--workers 4", "-w 4"); 1 when
// it does not say.
int commandWorkers(const QStringList &command);

} // namespace Kiln::Runtime
