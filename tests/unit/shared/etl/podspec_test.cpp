#include "shared/etl/podspec.h"

#include <gtest/gtest.h>

#include <QByteArray>

namespace Kiln::Etl {
namespace {

// A complete, valid spec; tests break one field at a time.
const char ValidSpec[] = R"(apiVersion: v1
kind: Pod
metadata:
  name: transformer-md5
  annotations:
    communication_type: hpull://
    wait_timeout: 2m
    support_direct_put: "true"
spec:
  containers:
    - name: server
      image: docker.io/aistore/md5_server:v1
      command: ['/code/server.py', '--listen', '0.0.0.0']
      args: ['--port', '80']
      env:
        - name: MODE
          value: fast
      ports:
        - name: default
          containerPort: 80
      readinessProbe:
        httpGet:
          path: /health
          port: default
      resources:
        limits:
          cpu: 500m
          memory: 256Mi
)";

QByteArray replaced(const char *from, const char *to)
{
    QByteArray spec(ValidSpec);
    EXPECT_TRUE(spec.contains(from)) << from;
    spec.replace(from, to);
    return spec;
}

bool hasIssue(const QList<SpecIssue> &issues, const QString &field, int line = 0)
{
    for (const SpecIssue &i : issues) {
        if (i.field == field && (line == 0 || i.line == line))
            return true;
    }
    return false;
}

TEST(PodSpecTest, ReadsEveryFieldOfAValidSpec)
{
    const auto spec = parsePodSpec(ValidSpec);
    ASSERT_TRUE(spec) << spec.error().message.toStdString();
    EXPECT_EQ(spec->name, "transformer-md5");
    EXPECT_EQ(spec->image, "docker.io/aistore/md5_server:v1");
    EXPECT_EQ(spec->command, QStringList({"/code/server.py", "--listen", "0.0.0.0"}));
    EXPECT_EQ(spec->args, QStringList({"--port", "80"}));
    ASSERT_EQ(spec->env.size(), 1);
    EXPECT_EQ(spec->env[0].name, "MODE");
    EXPECT_EQ(spec->env[0].value, "fast");
    EXPECT_EQ(spec->containerPort, 80);
    EXPECT_EQ(spec->probePath, "/health");
    EXPECT_EQ(spec->cpuLimit, "500m");
    EXPECT_EQ(spec->memoryLimit, "256Mi");
    EXPECT_EQ(spec->annotatedCommType(), CommType::Hpull);
    EXPECT_EQ(spec->annotatedWaitTimeout(), std::chrono::milliseconds(120000));
    EXPECT_EQ(spec->annotatedDirectPut(), true);
}

TEST(PodSpecTest, RequiresContainers)
{
    const auto issues = validatePodSpec(replaced("  containers:\n", "  nothing:\n"));
    EXPECT_TRUE(hasIssue(issues, "spec.containers"));
}

TEST(PodSpecTest, RequiresExactlyOneContainer)
{
    QByteArray spec(ValidSpec);
    spec += "    - name: second\n      image: busybox\n";
    const auto issues = validatePodSpec(spec);
    EXPECT_TRUE(hasIssue(issues, "spec.containers"));
}

TEST(PodSpecTest, RequiresImageAndNamesItsLine)
{
    const auto issues
        = validatePodSpec(replaced("      image: docker.io/aistore/md5_server:v1\n", ""));
    ASSERT_TRUE(hasIssue(issues, "spec.containers[0].image"));
}

TEST(PodSpecTest, RequiresPortsExceptForIo)
{
    const QByteArray spec
        = replaced("      ports:\n        - name: default\n          containerPort: 80\n", "");
    EXPECT_TRUE(hasIssue(validatePodSpec(spec, CommType::Hpush), "spec.containers[0].ports"));
    EXPECT_FALSE(hasIssue(validatePodSpec(spec, CommType::Io), "spec.containers[0].ports"));
}

TEST(PodSpecTest, RequiresFirstPortNamedDefault)
{
    const auto issues = validatePodSpec(replaced("- name: default", "- name: http"));
    // "- name: http" is on line 19 of the document.
    EXPECT_TRUE(hasIssue(issues, "spec.containers[0].ports[0].name", 19));
}

TEST(PodSpecTest, RequiresContainerPortInRange)
{
    EXPECT_TRUE(hasIssue(validatePodSpec(replaced("containerPort: 80", "containerPort: 70000")),
                         "spec.containers[0].ports[0].containerPort"));
    EXPECT_TRUE(hasIssue(validatePodSpec(replaced("          containerPort: 80\n", "")),
                         "spec.containers[0].ports[0].containerPort"));
}

TEST(PodSpecTest, RequiresReadinessProbeExceptForIo)
{
    const QByteArray spec
        = replaced("      readinessProbe:\n        httpGet:\n          path: /health\n"
                   "          port: default\n",
                   "");
    EXPECT_TRUE(
        hasIssue(validatePodSpec(spec, CommType::Hpush), "spec.containers[0].readinessProbe"));
    EXPECT_FALSE(
        hasIssue(validatePodSpec(spec, CommType::Io), "spec.containers[0].readinessProbe"));
}

TEST(PodSpecTest, RequiresProbePath)
{
    EXPECT_TRUE(hasIssue(validatePodSpec(replaced("          path: /health\n", "")),
                         "spec.containers[0].readinessProbe.httpGet.path"));
}

TEST(PodSpecTest, RequiresProbePortDefault)
{
    EXPECT_TRUE(hasIssue(
        validatePodSpec(replaced("          port: default\n", "          port: metrics\n")),
        "spec.containers[0].readinessProbe.httpGet.port"));
    EXPECT_TRUE(hasIssue(validatePodSpec(replaced("          port: default\n", "")),
                         "spec.containers[0].readinessProbe.httpGet.port"));
}

TEST(PodSpecTest, AcceptsOptionalProbeTimingsAndRejectsBadOnes)
{
    const QByteArray good
        = replaced("        httpGet:\n",
                   "        timeoutSeconds: 7\n        periodSeconds: 3\n        httpGet:\n");
    const auto spec = parsePodSpec(good);
    ASSERT_TRUE(spec) << spec.error().message.toStdString();
    EXPECT_EQ(spec->probeTimeoutSeconds, 7);
    EXPECT_EQ(spec->probePeriodSeconds, 3);
    const QByteArray bad
        = replaced("        httpGet:\n", "        timeoutSeconds: soon\n        httpGet:\n");
    EXPECT_TRUE(hasIssue(validatePodSpec(bad), "spec.containers[0].readinessProbe.timeoutSeconds"));
}

TEST(PodSpecTest, ForbidsNodeAffinity)
{
    QByteArray spec(ValidSpec);
    spec.replace("spec:\n  containers:",
                 "spec:\n  affinity:\n    nodeAffinity:\n      foo: bar\n  containers:");
    const auto issues = validatePodSpec(spec);
    EXPECT_TRUE(hasIssue(issues, "spec.affinity.nodeAffinity"));
}

TEST(PodSpecTest, ChecksAnnotations)
{
    EXPECT_TRUE(hasIssue(
        validatePodSpec(replaced("communication_type: hpull://", "communication_type: smoke://")),
        "metadata.annotations.communication_type"));
    EXPECT_TRUE(hasIssue(validatePodSpec(replaced("wait_timeout: 2m", "wait_timeout: soon")),
                         "metadata.annotations.wait_timeout"));
    EXPECT_TRUE(hasIssue(
        validatePodSpec(replaced("support_direct_put: \"true\"", "support_direct_put: maybe")),
        "metadata.annotations.support_direct_put"));
}

TEST(PodSpecTest, RejectsOtherKinds)
{
    EXPECT_TRUE(hasIssue(validatePodSpec(replaced("kind: Pod", "kind: Deployment")), "kind"));
}

TEST(PodSpecTest, ReportsBrokenYamlWithLine)
{
    const auto issues = validatePodSpec("apiVersion: v1\nkind: Pod\nspec: [unclosed\n");
    ASSERT_FALSE(issues.isEmpty());
    EXPECT_TRUE(issues.first().message.contains("not valid YAML"));
    EXPECT_GT(issues.first().line, 0);
}

TEST(PodSpecTest, ListsEveryIssueNotJustTheFirst)
{
    QByteArray spec = replaced("      image: docker.io/aistore/md5_server:v1\n", "");
    spec.replace("- name: default", "- name: other");
    const auto issues = validatePodSpec(spec);
    EXPECT_TRUE(hasIssue(issues, "spec.containers[0].image"));
    EXPECT_TRUE(hasIssue(issues, "spec.containers[0].ports[0].name"));
    const auto parsed = parsePodSpec(spec);
    ASSERT_FALSE(parsed);
    EXPECT_TRUE(parsed.error().message.contains(issues.first().field));
}

TEST(PodSpecTest, ChecksResourceQuantities)
{
    EXPECT_TRUE(hasIssue(validatePodSpec(replaced("cpu: 500m", "cpu: lots")),
                         "spec.containers[0].resources.limits.cpu"));
    EXPECT_TRUE(hasIssue(validatePodSpec(replaced("memory: 256Mi", "memory: big")),
                         "spec.containers[0].resources.limits.memory"));
}

TEST(PodSpecTest, ParsesQuantities)
{
    EXPECT_DOUBLE_EQ(parseCpuQuantity("500m").value(), 0.5);
    EXPECT_DOUBLE_EQ(parseCpuQuantity("2").value(), 2.0);
    EXPECT_FALSE(parseCpuQuantity("x"));
    EXPECT_EQ(parseMemoryQuantity("256Mi").value(), 256LL * 1024 * 1024);
    EXPECT_EQ(parseMemoryQuantity("1G").value(), 1000000000LL);
    EXPECT_EQ(parseMemoryQuantity("1000").value(), 1000);
    EXPECT_FALSE(parseMemoryQuantity("-1Mi"));
}

// Found by fuzzing (tests/fuzz/podspec, UBSan: float-cast-overflow at the qint64 cast): a
// memory quantity beyond qint64 bytes is malformed, not a wrapped (negative) size.
TEST(PodSpecTest, RefusesMemoryQuantitiesBeyondQint64)
{
    EXPECT_FALSE(parseMemoryQuantity("8.88889e+63"));
    EXPECT_FALSE(parseMemoryQuantity("1e10Ti"));
    EXPECT_FALSE(parseMemoryQuantity("9223372036854775807"));
    EXPECT_EQ(parseMemoryQuantity("1e18").value(), 1000000000000000000LL);
}

} // namespace
} // namespace Kiln::Etl
