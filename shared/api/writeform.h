#pragma once

#include "shared/core/result.h"

#include <QString>
#include <QUrlQuery>

namespace Kiln::Api {

// The shapes a PUT on /v1/objects/<bucket>/<object> takes in AIS, told apart by the query in
// the order AIS's target checks them (ais/target.go, httpobjput). Only Write replaces the
// object with the request body: a copy carries no body, and append and flush carry a part of
// the object or nothing, so every handler classifies before it writes.
enum class PutForm {
    Write,
    Copy, // object_to (+ etl_name: transform-copy)
    MultipartPart, // uploadId + partNumber
    ArchiveAppend, // archpath: add a file to a shard
    Append, // append_type=append
    Flush, // append_type=flush
};

struct PutRequest
{
    PutForm form = PutForm::Write;
    QString objectTo; // Copy: the destination uname as sent ("ais/@#/bucket/object")
    QString appendHandle; // Append, Flush: "" on the first append
    QString etlName; // Copy through an ETL
};

// Fails (400, AIS's words) for an append_type other than append or flush.
Result<PutRequest> classifyPut(const QUrlQuery &query);
// "copy", "append", ... for messages.
QString putFormName(PutForm form);

// A bucket and object named by an AIS uname: "<provider>/<namespace>/<bucket>/<object>", the
// global namespace written "@#" (AIS's meta.ParseUname). Only ais:// in the global namespace
// is stored here; anything else is refused with the reason.
struct ObjectRef
{
    QString bucket;
    QString object;
};
Result<ObjectRef> parseObjectUname(const QString &uname);
QString objectUname(const QString &bucket, const QString &object);

// The archmode of an archive read (GET ?archregx=&archmode=), as AIS's request parser takes it:
// "" or "*" is a prefix match, else one of regexp, prefix, suffix, substr, wdskey; anything else
// fails with AIS's words ("dpq: 'archmode=x', err: invalid matching mode ...", 400).
Result<QString> archMode(const QString &mode);

// AIS's error for a request form Kiln does not implement: "cannot <what> <cname> - not
// implemented yet" (cmn.ErrNotImpl, 501).
Error notImplemented(const QString &what, const QString &cname);

} // namespace Kiln::Api
