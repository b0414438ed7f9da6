#include "service/runtime/imagecatalogue.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

namespace Kiln::Runtime {

namespace {

// Shell-style glob over the whole text: * is any run of characters ('/' included), ? one.
bool globMatch(const QString &glob, const QString &text)
{
    QString re;
    for (const QChar c : glob) {
        if (c == '*')
            re += QStringLiteral(".*");
        else if (c == '?')
            re += '.';
        else
            re += QRegularExpression::escape(QString(c));
    }
    return QRegularExpression(QRegularExpression::anchoredPattern(re)).match(text).hasMatch();
}

} // namespace

QString normalizeImage(const QString &image)
{
    QString name = image.trimmed().section('@', 0, 0); // a digest names the same repository
    for (const QString &prefix : {QStringLiteral("docker.io/"), QStringLiteral("library/")}) {
        if (name.startsWith(prefix))
            name = name.mid(prefix.size());
    }
    const qsizetype slash = name.lastIndexOf('/');
    if (name.lastIndexOf(':') <= slash)
        name += QStringLiteral(":latest");
    return name;
}

bool ImageRule::matches(const QString &image) const
{
    const QString name = normalizeImage(image);
    QString wanted = pattern.trimmed();
    for (const QString &prefix : {QStringLiteral("docker.io/"), QStringLiteral("library/")}) {
        if (wanted.startsWith(prefix))
            wanted = wanted.mid(prefix.size());
    }
    // No tag in the pattern: any tag of that repository.
    if (wanted.lastIndexOf(':') <= wanted.lastIndexOf('/'))
        wanted += QStringLiteral(":*");
    return globMatch(wanted, name);
}

bool ImageRule::acceptsCommand(const QStringList &command) const
{
    if (command.isEmpty() || programs.isEmpty())
        return true;
    const QString program = command.first();
    const QString base = QFileInfo(program).fileName();
    for (const QString &glob : programs) {
        if (globMatch(glob, base) || globMatch(glob, program))
            return true;
    }
    return false;
}

Result<ImageCatalogue> ImageCatalogue::fromJson(const QByteArray &json)
{
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &err);
    if (!doc.isObject() || !doc.object().value("images").isArray())
        return makeError(ErrorCode::Internal,
                         QStringLiteral("image catalogue: %1")
                             .arg(err.error ? err.errorString() : "no \"images\" list"));
    ImageCatalogue catalogue;
    for (const QJsonValue &v : doc.object().value("images").toArray()) {
        const QJsonObject o = v.toObject();
        ImageRule rule;
        rule.pattern = o.value("image").toString();
        rule.origin = QStringLiteral("stock");
        rule.implementation = o.value("implementation").toString();
        for (const QJsonValue &p : o.value("programs").toArray())
            rule.programs.append(p.toString());
        rule.description = o.value("description").toString();
        if (rule.pattern.isEmpty() || rule.implementation.isEmpty())
            return makeError(ErrorCode::Internal,
                             "image catalogue: every entry needs image and implementation");
        catalogue.m_rules.append(rule);
    }
    return catalogue;
}

Result<ImageCatalogue> ImageCatalogue::stock()
{
    QFile file(QStringLiteral(":/kiln/images/catalogue.json"));
    if (!file.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::Internal, "kilnd was built without its image catalogue");
    return fromJson(file.readAll());
}

void ImageCatalogue::prependRules(const QList<ImageRule> &rules)
{
    m_rules = rules + m_rules;
}

const ImageRule *ImageCatalogue::find(const QString &image) const
{
    for (const ImageRule &rule : m_rules) {
        if (rule.matches(image))
            return &rule;
    }
    return nullptr;
}

int commandWorkers(const QStringList &command)
{
    for (qsizetype i = 0; i < command.size(); ++i) {
        const QString &a = command.at(i);
        bool ok = false;
        int n = 0;
        if ((a == "--workers" || a == "-w") && i + 1 < command.size())
            n = command.at(i + 1).toInt(&ok);
        else if (a.startsWith("--workers="))
            n = a.mid(10).toInt(&ok);
        if (ok && n > 0)
            return std::min(n, 64);
    }
    return 1;
}

} // namespace Kiln::Runtime
