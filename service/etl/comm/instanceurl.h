#pragma once

#include <QUrl>

namespace Kiln::Etl {

struct TransformJob;

// Where an ETL's HTTP server takes one object, as AIS addresses it. endpoint is the instance's
// base URL; with fqn the query names the object's file (etl_fqn) for a server on this disk.
// hpush://: PUT <endpoint>/<bucket>/<object>?etl_args=..&etl_fqn=..
QUrl pushUrl(QUrl endpoint, const TransformJob &job, bool fqn);
// hpull:// and hrev://: GET <endpoint>/<uname>?etl_args=..&etl_fqn=.., the whole uname one
// path segment.
QUrl revUrl(QUrl endpoint, const TransformJob &job, bool fqn);

} // namespace Kiln::Etl
