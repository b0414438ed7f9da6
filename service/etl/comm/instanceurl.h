#pragma once

#include <QUrl>

class QHostAddress;

namespace Kiln::Etl {

struct TransformJob;

// Where an ETL's HTTP server takes one object, as AIS addresses it. endpoint is the instance's
// base URL; with fqn the query names the object's file (etl_fqn) for a server on this disk.
// hpush://: PUT <endpoint>/<bucket>/<object>?etl_args=..&etl_fqn=..
QUrl pushUrl(QUrl endpoint, const TransformJob &job, bool fqn);
// hpull:// and hrev://: GET <endpoint>/<uname>?etl_args=..&etl_fqn=.., the whole uname one
// path segment.
QUrl revUrl(QUrl endpoint, const TransformJob &job, bool fqn);
// Whether a client at `client` can open url: a loopback URL (127.0.0.0/8, ::1, localhost) only
// from this same host, any other URL from anywhere. An hpull:// client is redirected to its
// instance only then: a local instance serves on the target's loopback, which a client on
// another host cannot reach (its own 127.0.0.1 is some other program, or nothing).
bool reachableFrom(const QUrl &url, const QHostAddress &client);

} // namespace Kiln::Etl
