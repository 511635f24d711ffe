// kestrel-crawler: lists every kernel a distro ships (see crawler_cli.h).
#include <curl/curl.h>
#include <unistd.h>

#include <iostream>

#include "driverkit/crawler_cli.h"
#include "driverkit/progress.h"

int main(int argc, char** argv) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int rc = kestrel::driverkit::run_crawler(argc, argv, std::cout, std::cerr,
                                           kestrel::driverkit::is_terminal(STDERR_FILENO));
  curl_global_cleanup();
  return rc;
}
