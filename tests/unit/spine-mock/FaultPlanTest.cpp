#include <gp/mock/FaultPlan.hpp>

#include <doctest/doctest.h>

using namespace gp::mock;

namespace {

FaultRule rule(std::string interaction, int times, int status) {
    FaultRule r;
    r.interaction = std::move(interaction);
    r.times = times;
    r.fault.type = Fault::Type::Http;
    r.fault.status = status;
    return r;
}

} // namespace

TEST_SUITE("spine-mock") {

    TEST_CASE("a fault rule applies the given number of times and then goes") {
        FaultPlan plan;
        plan.add(rule("PORX_IN020101SM31", 2, 503));
        CHECK(plan.take("PORX_IN020101SM31")->status == 503);
        REQUIRE(plan.list().size() == 1);
        CHECK(plan.list().front().times == 1);
        CHECK(plan.take("PORX_IN020101SM31")->status == 503);
        CHECK_FALSE(plan.take("PORX_IN020101SM31").has_value());
        CHECK(plan.list().empty());
    }

    TEST_CASE("fault rules match by interaction or star and apply in the order added") {
        FaultPlan plan;
        plan.add(rule("PORX_IN030101SM32", 1, 500));
        plan.add(rule("*", 1, 502));
        plan.add(rule("PORX_IN020101SM31", 1, 503));

        CHECK(plan.take("PORX_IN020101SM31")->status == 502); // star comes first
        CHECK(plan.take("PORX_IN020101SM31")->status == 503);
        CHECK_FALSE(plan.take("PORX_IN020101SM31").has_value());
        CHECK(plan.take("PORX_IN030101SM32")->status == 500);
    }

    TEST_CASE("clearing the plan removes every rule") {
        FaultPlan plan;
        plan.add(rule("*", 5, 503));
        plan.clear();
        CHECK(plan.list().empty());
        CHECK_FALSE(plan.take("anything").has_value());
    }

} // TEST_SUITE
