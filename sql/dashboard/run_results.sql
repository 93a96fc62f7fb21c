-- The dashboard: a published run's expectation outcomes, failures first. Parameter: the run id.
select table_name, expectation, column_name, success, unexpected_count, examples, rejected_documents
from validation_results
where run_id = ?
order by success, table_name, column_name nulls first, expectation;
