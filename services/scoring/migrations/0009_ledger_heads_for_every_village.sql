-- Every village has its ledger head from its creation (MySqlRegistryRepository::CreateVillage);
-- villages created before that get theirs now. A head that exists is left as it is.
INSERT IGNORE INTO ledger_heads (village_id, head_sequence, head_hash, entries)
SELECT village_id, 0, '', 0 FROM villages;
