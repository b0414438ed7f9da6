#include "app/dialogs/connectdialog.h"
#include "app/windows/mainwindow.h"
#include "app/windows/screenshottour.h"
#include "shared/api/apiclient.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include <cstdio>

using namespace Kiln;

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Kiln"));
    QApplication::setApplicationName(QStringLiteral("kiln-console"));
    QApplication::setApplicationVersion(QStringLiteral("0.1.0"));

    QCommandLineParser cli;
    cli.setApplicationDescription(QStringLiteral("Kiln console: operate the ETLs of a kilnd or "
                                                 "AIStore cluster over its REST API."));
    cli.addHelpOption();
    cli.addVersionOption();
    const QCommandLineOption url(QStringLiteral("url"),
                                 QStringLiteral("Proxy URL (default: the last one used)."),
                                 QStringLiteral("url"));
    const QCommandLineOption token(QStringLiteral("token"),
                                   QStringLiteral("Bearer token (default: $AIS_AUTHN_TOKEN)."),
                                   QStringLiteral("token"));
    const QCommandLineOption ca(QStringLiteral("ca"),
                                QStringLiteral("CA file for an https:// proxy (kilnd cluster "
                                               "--tls: DIR/tls/ca.pem; default: the last one)."),
                                QStringLiteral("file"));
    const QCommandLineOption cert(QStringLiteral("cert"),
                                  QStringLiteral("Client certificate for mutual TLS."),
                                  QStringLiteral("file"));
    const QCommandLineOption key(QStringLiteral("key"),
                                 QStringLiteral("Client key for mutual TLS."),
                                 QStringLiteral("file"));
    const QCommandLineOption shots(
        QStringLiteral("screenshots"),
        QStringLiteral("Walk through the views, save each as DIR/<view>.png, and quit."),
        QStringLiteral("dir"));
    const QCommandLineOption etl(QStringLiteral("etl"),
                                 QStringLiteral("ETL to show in --screenshots."),
                                 QStringLiteral("name"));
    const QCommandLineOption object(
        QStringLiteral("object"),
        QStringLiteral("bucket/object for the preview and offline steps of --screenshots."),
        QStringLiteral("bucket/object"));
    const QCommandLineOption dest(QStringLiteral("dest"),
                                  QStringLiteral("Destination bucket for --screenshots."),
                                  QStringLiteral("bucket"));
    const QCommandLineOption clusterPid(
        QStringLiteral("stop-cluster-pid"),
        QStringLiteral("Last step of --screenshots: SIGTERM this process (the cluster) and show "
                       "the disconnected window."),
        QStringLiteral("pid"));
    cli.addOptions({url, token, ca, cert, key, shots, etl, object, dest, clusterPid});
    cli.process(app);

    Api::ApiClient api;
    Console::MainWindow window(&api);
    window.show();

    // The last connection, with what the command line and $AIS_AUTHN_TOKEN override.
    Console::Connection connection = Console::ConnectDialog::remembered();
    if (cli.isSet(url))
        connection.url = QUrl::fromUserInput(cli.value(url));
    if (cli.isSet(ca))
        connection.tls.caFile = cli.value(ca);
    if (cli.isSet(cert))
        connection.tls.certFile = cli.value(cert);
    if (cli.isSet(key))
        connection.tls.keyFile = cli.value(key);
    const QString bearer = cli.isSet(token) ? cli.value(token)
                                            : qEnvironmentVariable("AIS_AUTHN_TOKEN");
    if (!bearer.isEmpty()) {
        connection.login = Console::Connection::Login::Token;
        connection.token = bearer;
    }
    // A password is never stored: a user login asks for it again.
    if (connection.login == Console::Connection::Login::Password && !cli.isSet(shots))
        window.showConnectDialog();
    else
        window.connectWith(connection);

    if (cli.isSet(shots)) {
        const QString target = cli.value(object);
        auto *tour = new Console::ScreenshotTour(&window, cli.value(shots), &window);
        tour->setSubjects(cli.value(etl), target.section('/', 0, 0), target.section('/', 1),
                          cli.value(dest));
        QObject::connect(
            tour, &Console::ScreenshotTour::finished, &app, [](bool ok, const QString &message) {
                std::fprintf(ok ? stdout : stderr, "kiln-console: %s\n", qPrintable(message));
                QCoreApplication::exit(ok ? 0 : 1);
            });
        tour->setClusterPid(cli.value(clusterPid).toLongLong());
        tour->start();
    }
    return app.exec();
}
