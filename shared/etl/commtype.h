#pragma once

#include "shared/core/result.h"

#include <QString>

namespace Kiln::Etl {

// How a target hands objects to its ETL instance.
enum class CommType {
    Hpush, // target PUTs the object (or its path) to the instance, streams the answer back
    Hpull, // the instance GETs the object from the target (client redirected, or target proxies)
    Hrev, // target reverse-proxies the client's GET to the instance
    Io, // object on stdin of a process, result from its stdout
    Ws, // one long-lived websocket per worker, AIS framing
};

// Accepts "hpush://" and "hpush" (AIS appends "://" itself); empty means hpush.
Result<CommType> parseCommType(const QString &text);
// The wire form, with "://".
QString commTypeName(CommType type);

// What the transform function is handed (seed-era "arg_type").
enum class ArgType { Bytes, Url, Fqn };
Result<ArgType> parseArgType(const QString &text);
QString argTypeName(ArgType type);

} // namespace Kiln::Etl
