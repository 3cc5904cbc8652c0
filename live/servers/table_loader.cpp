#include "live/servers/table_loader.hpp"

#include <pqxx/pqxx>
#include <tuple>

#include "live/os/process_registry.hpp"
#include "sim/engine/rng.hpp"

namespace stacksim::live {

std::string test_row_text(std::uint64_t seed, long a) {
  // One stream per row: the value of a row does not depend on load order.
  Rng rng(seed, "live.table.b", static_cast<std::uint64_t>(a));
  std::string b(20, 'a');
  for (char& ch : b) ch = static_cast<char>('a' + rng.uniform_index(26));
  return b;
}

void load_test_table(pqxx::connection& c, long rows) {
  pqxx::work t(c);
  t.exec("drop table if exists test");
  t.exec("create table test (a int not null, b text not null)");
  {
    pqxx::stream_to copy(t, "test", std::vector<std::string>{"a", "b"});
    for (long a = 1; a <= rows; ++a) {
      if (a % 65536 == 0) check_interrupted();
      copy << std::make_tuple(a, test_row_text(kTableSeed, a));
    }
    copy.complete();
  }
  t.exec("alter table test add primary key (a)");
  t.commit();
  pqxx::nontransaction analyse(c);
  analyse.exec("vacuum analyze test");
}

}  // namespace stacksim::live
