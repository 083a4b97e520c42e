// tests/pg/pg_libpq_probe URL: libpq (libpq-dev, pkg-config libpq) links and
// reaches a scripts/pg cluster with the URL scripts/pg printed, passfile and
// all. Run by pg_cluster_test.sh while its cluster is up. Exit 0 on success.
#include <libpq-fe.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

namespace {

struct ConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultClearer {
  void operator()(PGresult* r) const { PQclear(r); }
};

int Fail(const char* what, PGconn* conn) {
  std::fprintf(stderr, "pg_libpq_probe: %s: %s\n", what,
               conn ? PQerrorMessage(conn) : "(no connection)");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: pg_libpq_probe postgresql://...\n");
    return 2;
  }
  std::unique_ptr<PGconn, ConnCloser> conn(PQconnectdb(argv[1]));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK)
    return Fail("connect", conn.get());
  if (PQserverVersion(conn.get()) < 150000)
    return Fail("server older than 15", conn.get());

  // A parameterised statement, as the stores will use: never spliced SQL.
  const char* params[] = {"41"};
  std::unique_ptr<PGresult, ResultClearer> res(
      PQexecParams(conn.get(), "SELECT $1::int + 1, current_database()", 1,
                   nullptr, params, nullptr, nullptr, 0));
  if (PQresultStatus(res.get()) != PGRES_TUPLES_OK)
    return Fail("query", conn.get());
  const std::string sum = PQgetvalue(res.get(), 0, 0);
  const std::string db = PQgetvalue(res.get(), 0, 1);
  if (sum != "42" || db != "retail") {
    std::fprintf(stderr, "pg_libpq_probe: got %s, %s; want 42, retail\n",
                 sum.c_str(), db.c_str());
    return 1;
  }
  std::printf("libpq %d, server %d: ok\n", PQlibVersion(),
              PQserverVersion(conn.get()));
  return 0;
}
