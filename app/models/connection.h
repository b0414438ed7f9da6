#pragma once

#include "shared/api/tlsfiles.h"

#include <QString>
#include <QUrl>

namespace Kiln::Console {

// How the console reaches a cluster: the proxy, its TLS files, and who it is. With a user the
// console first logs in at the AuthN service (authnUrl) and uses the token it answers.
struct Connection
{
    enum class Login { None, Token, Password };

    QUrl url;
    Api::TlsFiles tls;
    Login login = Login::None;
    QString token; // Login::Token
    QUrl authnUrl; // Login::Password
    QString user;
    QString password; // never stored
};

} // namespace Kiln::Console
