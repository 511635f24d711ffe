// The matrix's progress: plain lines off a terminal, a bar rewritten in
// place on one.
#include <gtest/gtest.h>

#include <sstream>

#include "driverkit/progress.h"

namespace kestrel::driverkit {
namespace {

TEST(MatrixProgress, PlainLinesOffATerminal) {
  std::ostringstream out;
  MatrixProgress p(out, /*terminal=*/false, 2);
  p.started("6.1.0-57-amd64");
  p.activity("6.1.0-57-amd64", "[   1.0s] compiling kestrel.ko");
  p.finished("6.1.0-57-amd64", "ok (built, 9.0 s)", false);
  p.close();
  const std::string text = out.str();
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
  EXPECT_EQ(text.find("compiling"), std::string::npos) << "activity is for the bar only";
  EXPECT_NE(text.find("6.1.0-57-amd64: started\n"), std::string::npos) << text;
  EXPECT_NE(text.find("6.1.0-57-amd64: ok (built, 9.0 s)\n"), std::string::npos) << text;
}

TEST(MatrixProgress, BarOnATerminal) {
  std::ostringstream out;
  MatrixProgress p(out, /*terminal=*/true, 4, /*columns=*/200);
  p.started("6.1.0-57-amd64");
  p.finished("6.1.0-56-amd64", "build-failed", true);
  p.activity("6.1.0-57-amd64", "[  12.3s] compiling kestrel.ko");
  const std::string text = out.str();
  EXPECT_NE(text.find("\r[#####...............] 1/4 done, 1 failed, 3 remaining | 6.1.0-57-amd64: compiling"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("[  12.3s] compiling"), std::string::npos) << "the log line's stamp is dropped";
  p.close();
  EXPECT_EQ(out.str().substr(out.str().size() - 4), "\r\033[K");  // the bar is cleared for the summary
}

TEST(MatrixProgress, BarFitsTheTerminal) {
  std::ostringstream out;
  MatrixProgress p(out, /*terminal=*/true, 4, /*columns=*/60);
  p.activity("6.12.118+deb12-cloud-amd64", "downloading http://deb.debian.org/debian-security/pool/updates/main/l/linux/x.deb");
  const std::string text = out.str();
  const std::string bar = text.substr(text.rfind('\r') + 1);
  EXPECT_EQ(bar.substr(bar.size() - 3), "\033[K");
  EXPECT_LT(bar.size() - 3, 60u) << bar;  // never wraps
  EXPECT_EQ(bar.substr(bar.size() - 6, 3), "...");
}

}  // namespace
}  // namespace kestrel::driverkit
