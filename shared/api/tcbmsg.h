#pragma once

#include "shared/core/result.h"

#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>

#include <chrono>

namespace Kiln::Api {

inline constexpr char KindEtlBucket[] = "etl-bck";
inline constexpr char KindEtlListRange[] = "etl-listrange";
inline constexpr char ActionEtlBucket[] = "etl-bck";
inline constexpr char ActionEtlListRange[] = "etl-listrange";
inline constexpr char ActionEtlBucketSeed[] = "etlbck"; // seed 001

// An offline transform request: AIS's TCBMsg (bucket to bucket) and TCOMsg (a list or a range
// of names), with the seed-era keys ("ext" as one extension, "suffix") accepted too.
struct TcbMsg
{
    QString etlName; // "id"
    QStringList pipeline;
    std::chrono::milliseconds requestTimeout{0}; // 0: the ETL's own object timeout
    QString prefix; // only names with this prefix ('*' at the end trimmed)
    QString suffix; // seed: only names with this suffix
    QString prepend; // added in front of every destination name
    QMap<QString, QString> ext; // extension remap ("jpg" -> "png"); "*" remaps any
    bool dryRun = false;
    bool force = false;
    bool latestVer = false;
    bool synchronize = false;
    int numWorkers = 0; // 0 auto, -1 one, >0 exactly
    bool continueOnError = false; // "coer"
    // etl-listrange only
    QStringList objNames;
    QString objTemplate;
    QString toBucket; // "tobck".name

    static Result<TcbMsg> fromJson(const QJsonValue &value, bool listRange);
    QJsonObject toJson() const;

    // prepend + the name with its extension remapped.
    QString destinationName(const QString &source) const;
    // Does a source name pass the prefix/suffix filters?
    bool selects(const QString &source) const;
    int effectiveWorkers(int automatic) const;
};

// Expands AIS brace ranges: "shard-{000..999}.tar", "a-{0..10..2}-{x,y}" (several ranges
// multiply; zero padding follows the start's width). At most `limit` names.
Result<QStringList> expandTemplate(const QString &tmpl, int limit = 1000000);

// "ais/@#/dst/" (the bck_to query) -> "dst".
Result<QString> bucketFromUname(const QString &uname);

} // namespace Kiln::Api
