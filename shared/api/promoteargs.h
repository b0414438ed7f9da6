#pragma once

#include "shared/core/result.h"

#include <QJsonObject>
#include <QString>

namespace Kiln::Api {

// AIS's apc.PromoteArgs: files (or a folder's files) on the targets' filesystem become objects.
struct PromoteArgs
{
    QString targetId; // "tid": only this target promotes (and sends what it does not own)
    QString source; // "src": absolute path of a file or folder under the promote root
    QString objectName; // "obj": the object's name, or the prefix of a folder's objects
    bool recursive = false; // "rcr"
    bool overwrite = false; // "ovw": replace existing objects (else they are kept)
    bool deleteSource = false; // "dls"
    bool notFileShare = false; // "notshr": each target promotes what it sees, all of it

    static Result<PromoteArgs> fromJson(const QJsonValue &value);
    QJsonObject toJson() const;

    // AIS's ValidatePromote: the action's name and "src" agree, the source is absolute, has no
    // "." or ".." element and lies under root; the object name is a valid prefix.
    Result<void> validate(const QString &actionName, const QString &root);
};

// The object a promoted file becomes (AIS's PrmObjName): a folder's file keeps its path below
// the folder after the prefix; a single file is named by the prefix, or by its base name after a
// prefix that ends in '/' (or is empty).
QString promotedObjectName(const QString &file, const QString &folder, const QString &prefix);

} // namespace Kiln::Api
