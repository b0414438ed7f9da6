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
    cli.addOptions({url, token, shots, etl, object, dest, clusterPid});
    cli.process(app);

    Api::ApiClient api;
    Console::MainWindow window(&api);
    window.show();

    const QUrl endpoint = cli.isSet(url) ? QUrl::fromUserInput(cli.value(url))
                                         : Console::ConnectDialog::rememberedUrl();
    const QString bearer = cli.isSet(token)
        ? cli.value(token)
        : qEnvironmentVariable("AIS_AUTHN_TOKEN", Console::ConnectDialog::rememberedToken());
    window.connectTo(endpoint, bearer);

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
