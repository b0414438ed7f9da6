#pragma once

#include <QString>

#include <initializer_list>

namespace Kiln::Api {

// A request path from one of the Route patterns of wire.h: each {name} or {*name} in turn takes
// the next of args, as given (callers percent-encode what needs it); the extra args beyond the
// placeholders are ignored, missing ones leave the placeholder empty.
// routePath(Route::XactionAbort, {"x1"}) == "/v1/xactions/x1/_abort".
QString routePath(const char *route, std::initializer_list<QString> args);

} // namespace Kiln::Api
